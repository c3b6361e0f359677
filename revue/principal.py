"""Who is asking: a signed-in user or a review-link guest. Features build their access rules on it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guest:
    """A review-link visitor who gave a name and an email address once."""

    name: str
    email: str
    link_id: int
    can_comment: bool = False
    can_decide: bool = False
    can_download: bool = False

    is_user = False
    is_agency = False
    is_admin = False
    is_client_contact = False
    is_authenticated = False

    @property
    def id(self) -> None:
        return None

    def __str__(self) -> str:
        return f"guest <{self.email}> via link {self.link_id}"
