from __future__ import annotations

from datetime import UTC

from flask import Response, abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import activity, mail
from ..accounts import services as accounts
from ..accounts.access import admin_required
from ..accounts.models import Invitation, Role, User
from ..db import db
from ..errors import DomainError
from ..http_files import send_stored
from ..rendering import invalid, render, see_other
from ..storage import get_storage
from . import bp, services
from .forms import InviteForm, RoleForm, WorkspaceForm
from .models import DEFAULT_COLOR


@bp.app_context_processor
def inject_workspace():
    return {"workspace": services.current_workspace()}


@bp.route("/", methods=["GET", "POST"])
@admin_required
def workspace():
    ws = services.current_workspace()
    form = WorkspaceForm(obj=ws)
    if form.validate_on_submit():
        try:
            services.update_workspace(current_user, ws, name=form.name.data, brand_color=form.brand_color.data,
                                      timezone=form.timezone.data)
            if form.remove_logo.data:
                services.remove_logo(current_user, ws)
            elif form.logo.data:
                services.set_logo(current_user, ws, form.logo.data)
        except DomainError as exc:
            db.session.rollback()
            form.logo.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Workspace settings saved.", "success")
            return see_other(url_for("settings.workspace"))
    context = {"form": form, "base_url": current_app.config["BASE_URL"]}
    if form.errors:
        return invalid("settings/workspace.html", **context)
    return render("settings/workspace.html", **context)


@bp.get("/brand.css")
def brand_css():
    ws = services.current_workspace()
    color = ws.brand_color if ws else DEFAULT_COLOR
    response = Response(f":root {{ --brand: {color}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/logo")
def logo():
    ws = services.current_workspace()
    if ws is None or not ws.logo_key:
        abort(404)
    storage = get_storage(current_app)
    return send_stored(storage, ws.logo_key, mime="image/png", size=storage.size(ws.logo_key),
                       etag=ws.logo_key.rsplit("/", 1)[-1], last_modified=ws.updated_at.astimezone(UTC))


def _members_context(invite_form=None) -> dict:
    team = db.session.scalars(select(User).where(User.role != Role.CLIENT).order_by(User.active.desc(), User.name))
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.role != Role.CLIENT, Invitation.accepted_at.is_(None),
                                 Invitation.revoked_at.is_(None)).order_by(Invitation.created_at.desc())
    ).all()
    return {"team": team.all(), "invitations": invitations, "invite_form": invite_form or InviteForm(),
            "role_choices": [r for r in Role if r != Role.CLIENT]}


@bp.get("/members")
@admin_required
def members():
    return render("settings/members.html", **_members_context())


@bp.post("/members")
@admin_required
def invite_member():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite(current_user, form.email.data, Role(form.role.data), name=form.name.data)
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash(mail.confirm(f"Invitation sent to {form.email.data}.",
                               f"The invitation to {form.email.data} is waiting to be emailed.", admin=True),
                  "success")
            return see_other(url_for("settings.members"))
    return invalid("settings/members.html", **_members_context(form))


@bp.post("/members/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(422, "Choose a role from the list.")
    accounts.change_role(current_user, user, Role(form.role.data))
    db.session.commit()
    flash(f"{user.name} is now {Role(form.role.data).label.lower()}.", "success")
    return see_other(url_for("settings.members"))


@bp.post("/members/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    accounts.set_active(current_user, user, active)
    db.session.commit()
    flash(f"{user.name} {'can log in again' if active else 'is deactivated and logged out'}.", "success")
    back = request.form.get("back")
    if back == "client" and user.client_id:
        return see_other(url_for("clients.show", client_id=user.client_id))
    return see_other(url_for("settings.members"))


@bp.post("/invitations/<int:invitation_id>/<any(resend, revoke):action>")
@admin_required
def invitation_action(invitation_id: int, action: str):
    invitation = db.get_or_404(Invitation, invitation_id)
    if action == "resend":
        accounts.resend_invitation(current_user, invitation)
        flash(mail.confirm(f"Invitation sent again to {invitation.email}.",
                           f"A new invitation to {invitation.email} is waiting to be emailed.", admin=True), "success")
    else:
        accounts.revoke_invitation(current_user, invitation)
        flash(f"Invitation to {invitation.email} withdrawn.", "success")
    db.session.commit()
    if invitation.client_id:
        return see_other(url_for("clients.show", client_id=invitation.client_id))
    return see_other(url_for("settings.members"))


@bp.get("/outbox")
@admin_required
def outbox():
    show = request.args.get("status", "")
    show = show if show in ("unsent", "sent", "failed", "pending", mail.HANDED_OVER) else ""
    return render("settings/outbox.html", messages=mail.outbox_page(show or None), show=show,
                  smtp=bool(current_app.config.get("SMTP_HOST")))


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_message(message_id: int):
    message = db.get_or_404(mail.OutboxMessage, message_id)
    return render("settings/outbox_message.html", **_message_context(message))


@bp.post("/outbox/<int:message_id>/hand-over")
@admin_required
def outbox_hand_over(message_id: int):
    """Without SMTP: make the message's personal link now and show it once, for the admin to pass on."""
    message = db.get_or_404(mail.OutboxMessage, message_id)
    handed = services.hand_over(current_user, message)
    db.session.commit()
    # Shown in this answer only (no redirect): Revue keeps no copy of the link (E3); pages are no-store.
    return render("settings/outbox_message.html", handed=handed, **_message_context(message))


def _message_context(message: mail.OutboxMessage) -> dict:
    return {"message": message, "body": services.readable(message), "can_hand_over": services.can_hand_over(message),
            "handed_by": services.handed_over_by(message), "smtp": mail.smtp_configured()}


@bp.get("/outbox/<int:message_id>/html")
@admin_required
def outbox_html(message_id: int):
    message = db.get_or_404(mail.OutboxMessage, message_id)
    response = Response(services.readable(message, html=True), mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; "
        "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
    return response


REVIEW_VERDICTS = [("approved_with_changes", "Approve with changes"), ("rejected", "Reject")]


@bp.route("/reviews", methods=["GET", "POST"])
@admin_required
def reviews():
    """How reviews behave across the workspace: verified decisions, decision buttons, reminders."""
    ws = services.current_workspace()
    options = dict(ws.options or {})
    if request.method == "POST":
        form = request.form
        before, every = form.get("remind_before_days", type=int), form.get("remind_every_days", type=int)
        if before is None or every is None or not (0 <= before <= 14 and 1 <= every <= 30):
            flash("Reminders: days before due from 0 to 14, repeat every 1 to 30 days.", "error")
            return render("settings/reviews.html", options=options, verdicts=REVIEW_VERDICTS, status=422)
        options.update(verified_decisions=form.get("verified_decisions") == "1",
                       hidden_verdicts=[v for v, _ in REVIEW_VERDICTS if form.get(f"hide_{v}") == "1"],
                       remind_before_days=before, remind_every_days=every)
        ws.options = options
        activity.record("workspace.review_settings", actor=current_user, subject=ws, **options)
        db.session.commit()
        flash("Review settings saved.", "success")
        return see_other(url_for("settings.reviews"))
    return render("settings/reviews.html", options=options, verdicts=REVIEW_VERDICTS)
