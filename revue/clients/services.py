from __future__ import annotations

from sqlalchemy import func, select

from .. import activity
from ..accounts.models import Role, User
from ..db import db, utcnow
from ..errors import Conflict
from .models import Client


def create_client(actor: User, *, name: str, website: str = "", notes: str = "") -> Client:
    name = name.strip()
    if db.session.scalar(select(Client.id).where(func.lower(Client.name) == name.lower())):
        raise Conflict(f"There is already a client called “{name}”.")
    client = Client(name=name, website=website or "", notes=notes or "")
    db.session.add(client)
    db.session.flush()
    activity.record("client.created", actor=actor, subject=client, name=client.name)
    return client


def update_client(actor: User, client: Client, *, name: str, website: str = "", notes: str = "") -> None:
    name = name.strip()
    clash = db.session.scalar(
        select(Client.id).where(func.lower(Client.name) == name.lower(), Client.id != client.id)
    )
    if clash:
        raise Conflict(f"There is already a client called “{name}”.")
    client.name, client.website, client.notes = name, website or "", notes or ""
    activity.record("client.updated", actor=actor, subject=client)


def set_archived(actor: User, client: Client, archived: bool) -> None:
    client.archived_at = utcnow() if archived else None
    activity.record("client.archived" if archived else "client.unarchived", actor=actor, subject=client)


def clients_overview(include_archived: bool = False):
    """Clients with their contact counts, in one query."""
    contacts = (
        select(User.client_id, func.count(User.id).label("n"))
        .where(User.role == Role.CLIENT, User.active)
        .group_by(User.client_id)
        .subquery()
    )
    query = (
        select(Client, func.coalesce(contacts.c.n, 0))
        .outerjoin(contacts, contacts.c.client_id == Client.id)
        .order_by(Client.archived_at.is_not(None), func.lower(Client.name))
    )
    if not include_archived:
        query = query.where(Client.archived_at.is_(None))
    return db.session.execute(query).all()
