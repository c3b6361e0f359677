"""One-click unsubscribe for people known only by their email address (RFC 8058)."""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from ..db import db
from ..review.models import EmailOptOut


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="revue-unsubscribe")


def unsubscribe_token(email: str) -> str:
    return _serializer().dumps(email.lower())


def unsubscribe_url(email: str) -> str:
    return current_app.config["BASE_URL"] + url_for("links.unsubscribe", signed=unsubscribe_token(email))


def _thumbs() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="revue-email-thumb")


def thumb_token(version) -> str:
    """A signed, expiring name for a version's thumbnail, so email clients can show it without a login."""
    return _thumbs().dumps(version.id)


def thumb_version_id(signed: str, max_age: int = 45 * 24 * 3600) -> int | None:
    try:
        return int(_thumbs().loads(signed, max_age=max_age))
    except (BadSignature, ValueError):
        return None


def email_from(signed: str) -> str | None:
    try:
        return _serializer().loads(signed)
    except BadSignature:
        return None


def opt_out(email: str) -> None:
    if db.session.scalar(select(EmailOptOut.id).where(EmailOptOut.email == email)) is None:
        db.session.add(EmailOptOut(email=email))
