from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import mail
from ..accounts import services as accounts
from ..accounts.access import admin_required, agency_required
from ..accounts.forms import ContactInviteForm
from ..accounts.models import Invitation, Role, User
from ..db import db
from ..errors import DomainError
from ..rendering import invalid, render, see_other
from . import bp, services
from .forms import ClientForm
from .models import Client


def client_for(client_id: int) -> Client:
    return db.get_or_404(Client, client_id)


@bp.get("/")
@agency_required
def index():
    show_archived = request.args.get("archived") == "1"
    rows = services.clients_overview(include_archived=show_archived)
    return render("clients/index.html", rows=rows, show_archived=show_archived)


@bp.route("/new", methods=["GET", "POST"])
@agency_required
def create():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = services.create_client(current_user, name=form.name.data, website=form.website.data,
                                            notes=form.notes.data)
        except DomainError as exc:
            form.name.errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"Client “{client.name}” added. Invite a contact or start a project.", "success")
            return see_other(url_for("clients.show", client_id=client.id))
    if form.errors:
        return invalid("clients/form.html", form=form, client=None)
    return render("clients/form.html", form=form, client=None)


@bp.get("/<int:client_id>")
@agency_required
def show(client_id: int):
    client = client_for(client_id)
    return render("clients/show.html", client=client, invite_form=ContactInviteForm(),
                  **_contacts(client))


def _contacts(client: Client) -> dict:
    contacts = db.session.scalars(select(User).where(User.client_id == client.id).order_by(User.name)).all()
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.client_id == client.id, Invitation.accepted_at.is_(None),
                                 Invitation.revoked_at.is_(None)).order_by(Invitation.created_at.desc())
    ).all()
    return {"contacts": contacts, "invitations": invitations}


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@agency_required
def edit(client_id: int):
    client = client_for(client_id)
    form = ClientForm(obj=client)
    if form.validate_on_submit():
        try:
            services.update_client(current_user, client, name=form.name.data, website=form.website.data,
                                   notes=form.notes.data)
        except DomainError as exc:
            form.name.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Client saved.", "success")
            return see_other(url_for("clients.show", client_id=client.id))
    if form.errors:
        return invalid("clients/form.html", form=form, client=client)
    return render("clients/form.html", form=form, client=client)


@bp.post("/<int:client_id>/archive")
@admin_required
def archive(client_id: int):
    client = client_for(client_id)
    archived = request.form.get("archived", "1") == "1"
    services.set_archived(current_user, client, archived)
    db.session.commit()
    flash(f"“{client.name}” {'archived' if archived else 'restored'}.", "success")
    return see_other(url_for("clients.show", client_id=client.id))


@bp.post("/<int:client_id>/contacts")
@agency_required
def invite_contact(client_id: int):
    client = client_for(client_id)
    if client.archived:
        abort(409, "This client is archived. Restore it before inviting contacts.")
    form = ContactInviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite(current_user, form.email.data, Role.CLIENT, name=form.name.data, client=client)
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash(mail.confirm(f"Invitation sent to {form.email.data}.",
                               f"The invitation to {form.email.data} is waiting to be emailed.",
                               admin=current_user.is_admin), "success")
            return see_other(url_for("clients.show", client_id=client.id))
    return invalid("clients/show.html", client=client, invite_form=form, **_contacts(client))
