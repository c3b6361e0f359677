"""Account operations: setup, log in and out, sessions, invitations, passwords, roles."""

from __future__ import annotations

import logging
from datetime import timedelta

from blinker import Namespace
from flask import current_app
from sqlalchemy import delete, func, select

from .. import activity, mail
from ..db import db, utcnow
from ..errors import Conflict, DomainError, NotAllowed
from ..settings.models import Workspace
from ..tokens import digest, new_token
from . import passwords, throttle
from .models import Invitation, PasswordReset, Role, User, UserSession

log = logging.getLogger(__name__)
signals = Namespace()
#: sent with ``user=``; features above accounts (projects) subscribe to it
invitation_accepted = signals.signal("invitation-accepted")
INVITE_DAYS = 14
RESET_HOURS = 2


class LoginFailed(DomainError):
    status = 422


class WeakPassword(DomainError):
    """The new password breaks the password policy (A2)."""

    status = 422


class WrongPassword(DomainError):
    """The current password given to confirm a change is not right (B4)."""

    status = 422


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def has_users() -> bool:
    return db.session.scalar(select(func.count(User.id))) > 0


def create_owner(workspace_name: str, name: str, email: str, password: str) -> User:
    """The first account of an install, with the workspace it owns (A5)."""
    if has_users():
        raise Conflict("This Revue is already set up.")
    if db.session.scalar(select(Workspace)) is None:
        db.session.add(Workspace(name=workspace_name))
    user = User(email=normalise_email(email), name=name.strip(), role=Role.OWNER)
    _set_password(user, password)
    db.session.add(user)
    db.session.flush()
    activity.record("workspace.setup", actor=user, subject=user)
    return user


def _set_password(user: User, password: str) -> None:
    reason = passwords.problem(password, email=user.email, name=user.name)
    if reason:
        raise WeakPassword(reason)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()


# -- logging in -------------------------------------------------------------------------


def authenticate(email: str, password: str, ip: str) -> User:
    cfg = current_app.config
    email = normalise_email(email)
    account_key, ip_key = f"login:account:{email}", f"login:ip:{ip}"
    throttle.check(account_key, ip_key)
    user = user_by_email(email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        throttle.fail(account_key, cfg["THROTTLE_ACCOUNT_FAILURES"])
        throttle.fail(ip_key, cfg["THROTTLE_IP_FAILURES"])
        activity.record("login.failed", actor=user, actor_label=email, result="denied")
        raise LoginFailed("That email and password don't match an account.")
    throttle.clear(account_key)
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    activity.record("login.succeeded", actor=user, subject=user)
    return user


def start_session(user: User, *, remember: bool, ip: str, user_agent: str) -> str:
    cfg = current_app.config
    raw, token_hash = new_token()
    hours = cfg["SESSION_ABSOLUTE_HOURS"] if remember else cfg["SESSION_SHORT_HOURS"]
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(hours=hours),
            remember=remember,
            ip=ip,
            user_agent=user_agent[:300],
        )
    )
    db.session.flush()
    return raw


def session_user(raw: str) -> User | None:
    """The active user of a live session, or None (B3, B4)."""
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == digest(raw)))
    if row is None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row.user


def end_session(raw: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.token_hash == digest(raw)))


def end_sessions(user: User, *, keep: str | None = None) -> None:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.token_hash != digest(keep))
    db.session.execute(query)


# -- passwords --------------------------------------------------------------------------


def confirm_password(user: User, current: str) -> None:
    """Re-authentication for sensitive changes, throttled like a login: a stolen session
    must not become a way to guess the password (A4, B4)."""
    key = f"reauth:user:{user.id}"
    throttle.check(key)
    if not passwords.verify(user.password_hash, current):
        throttle.fail(key, current_app.config["THROTTLE_ACCOUNT_FAILURES"])
        raise WrongPassword("Your current password is not right.")
    throttle.clear(key)


def _drop_open_resets(user: User) -> None:
    """Reset links mailed before a password or address change stop working."""
    for reset in db.session.scalars(
        select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    ):
        reset.used_at = utcnow()


def change_password(user: User, current: str, new: str, *, keep_session: str | None) -> None:
    confirm_password(user, current)
    _set_password(user, new)
    _drop_open_resets(user)
    end_sessions(user, keep=keep_session)
    activity.record("password.changed", actor=user, subject=user)
    mail.queue(
        user.email, "Your Revue password was changed", "password_changed", kind="security",
        to_name=user.name, user=user,
    )


def change_email(user: User, current: str, new_email: str) -> None:
    confirm_password(user, current)
    new_email = normalise_email(new_email)
    if new_email == user.email:
        return
    if user_by_email(new_email):
        raise Conflict("Another account already uses that email address.")
    old = user.email
    user.email = new_email
    _drop_open_resets(user)
    activity.record("email.changed", actor=user, subject=user, old=old)
    mail.queue(old, "Your Revue email address was changed", "email_changed", kind="security",
               to_name=user.name, user=user, new_email=new_email)


def request_password_reset(email: str) -> None:
    """Always looks the same to the caller; mails a link only to a real, active account."""
    user = user_by_email(email)
    passwords.verify(None, "equal work for both paths")
    if user is None or not user.active:
        activity.record("password.reset_requested", actor_label=normalise_email(email), result="unknown")
        return
    raw, token_hash = new_token()
    db.session.add(PasswordReset(user_id=user.id, token_hash=token_hash,
                                 expires_at=utcnow() + timedelta(hours=RESET_HOURS)))
    activity.record("password.reset_requested", actor=user, subject=user)
    mail.queue(user.email, "Reset your Revue password", "password_reset", kind="security",
               to_name=user.name, user=user, token=raw, hours=RESET_HOURS)


def open_reset(raw: str) -> PasswordReset | None:
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(raw)))
    if row is None or row.used_at or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def reset_password(reset: PasswordReset, new: str) -> User:
    user = reset.user
    _set_password(user, new)
    reset.used_at = utcnow()
    _drop_open_resets(user)
    end_sessions(user)
    throttle.clear(f"login:account:{user.email}")
    activity.record("password.reset", actor=user, subject=user)
    mail.queue(user.email, "Your Revue password was changed", "password_changed", kind="security",
               to_name=user.name, user=user)
    return user


# -- invitations and roles --------------------------------------------------------------


def invite(inviter: User, email: str, role: Role, *, name: str = "", client=None, project=None) -> Invitation:
    if not inviter.is_admin and role != Role.CLIENT:
        raise NotAllowed("Only admins can invite team members.")
    if role == Role.OWNER and inviter.role != Role.OWNER:
        raise NotAllowed("Only the owner can invite another owner.")
    if (role == Role.CLIENT) != (client is not None):
        raise DomainError("Client contacts belong to exactly one client.")
    email = normalise_email(email)
    if user_by_email(email):
        raise Conflict("Someone with that email address already has an account.")
    raw, token_hash = new_token()
    invitation = Invitation(
        email=email, name=name.strip(), role=role, client_id=client.id if client else None,
        project_id=project.id if project else None, token_hash=token_hash, invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=INVITE_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    activity.record("invitation.created", actor=inviter, subject=invitation, email=email, role=role.value)
    _mail_invitation(invitation, raw, inviter, client)
    return invitation


def _mail_invitation(invitation: Invitation, raw: str, inviter: User, client) -> None:
    workspace = db.session.scalar(select(Workspace))
    subject = f"{inviter.name} invited you to review work on Revue" if client else \
        f"{inviter.name} invited you to {workspace.name if workspace else 'Revue'}"
    mail.queue(invitation.email, subject, "invitation", kind="invitation", to_name=invitation.name,
               invitation=invitation, inviter=inviter, client=client, token=raw, days=INVITE_DAYS)


def resend_invitation(actor: User, invitation: Invitation) -> None:
    if not invitation.is_open and invitation.accepted_at:
        raise Conflict("That invitation was already accepted.")
    raw, invitation.token_hash = new_token()
    invitation.expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    invitation.revoked_at = None
    activity.record("invitation.resent", actor=actor, subject=invitation)
    _mail_invitation(invitation, raw, actor, invitation.client)


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    invitation.revoked_at = utcnow()
    activity.record("invitation.revoked", actor=actor, subject=invitation)


def open_invitation(raw: str) -> Invitation | None:
    row = db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(raw)))
    return row if row is not None and row.is_open else None


def accept_invitation(invitation: Invitation, name: str, password: str) -> User:
    if user_by_email(invitation.email):
        raise Conflict("An account with this email address already exists. Log in instead.")
    user = User(email=invitation.email, name=name.strip(), role=invitation.role, client_id=invitation.client_id)
    _set_password(user, password)
    db.session.add(user)
    invitation.accepted_at = utcnow()
    db.session.flush()
    invitation_accepted.send(invitation, user=user)
    activity.record("invitation.accepted", actor=user, subject=user, role=user.role.value)
    return user


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise Conflict("You can't deactivate your own account.")
    if user.role == Role.OWNER and actor.role != Role.OWNER:
        raise NotAllowed("Only the owner can deactivate an owner.")
    user.active = active
    if not active:
        end_sessions(user)
    activity.record("user.activated" if active else "user.deactivated", actor=actor, subject=user)


def change_role(actor: User, user: User, role: Role) -> None:
    if user.is_client_contact or role == Role.CLIENT:
        raise Conflict("Client contacts keep their role; invite the person as a team member instead.")
    if Role.OWNER in (role, user.role) and actor.role != Role.OWNER:
        raise NotAllowed("Only the owner can give or take the owner role.")
    if user.id == actor.id and role != user.role and user.role == Role.OWNER and _owner_count() == 1:
        raise Conflict("The workspace needs at least one owner.")
    old, user.role = user.role, role
    activity.record("user.role_changed", actor=actor, subject=user, old=old.value, new=role.value)


def _owner_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == Role.OWNER, User.active))
