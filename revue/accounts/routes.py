from __future__ import annotations

from flask import abort, flash, get_flashed_messages, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import db
from ..errors import Conflict, DomainError
from ..rendering import invalid, next_url, render, see_other
from . import bp, services
from .access import load_user  # noqa: F401  (registers the user loader)
from .forms import (
    AcceptInviteForm,
    EmailChangeForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    ResetRequestForm,
    SetupForm,
)


def _client_info() -> tuple[str, str]:
    return request.remote_addr or "", request.user_agent.string or ""


def _after_login() -> str:
    """Where to go after logging in: a same-site ``next``, or the start page.

    Browsers drop tabs and newlines from URLs, so ``/<TAB>/evil.example`` would become
    ``//evil.example``; such targets (and any with whitespace) fall back to the start page.
    """
    target = next_url(url_for("index"))
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return url_for("index")
    return target


def _log_in(user, remember: bool) -> None:
    """Start a fresh session: nothing planted before login survives (B2)."""
    ip, agent = _client_info()
    session.clear()
    session["sid"] = services.start_session(user, remember=remember, ip=ip, user_agent=agent)
    session.permanent = remember
    login_user(user)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if services.has_users():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = services.create_owner(form.workspace_name.data, form.name.data, form.email.data,
                                         form.password.data)
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            _log_in(user, remember=False)
            db.session.commit()
            flash("Welcome to Revue. Add your first client to get started.", "success")
            return redirect(url_for("clients.index"), code=303)
    if form.errors:
        return invalid("accounts/setup.html", form=form)
    return render("accounts/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not services.has_users():
        get_flashed_messages()  # "Please log in" means nothing before there is an account to log in to
        return redirect(url_for("accounts.setup"))
    if current_user.is_authenticated:
        return redirect(_after_login())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, _client_info()[0])
        except services.LoginFailed as exc:
            db.session.commit()  # keep the failure count and the audit row
            form.password.errors.append(exc.message)
        else:
            _log_in(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_after_login(), code=303)
    if form.errors:
        return invalid("accounts/login.html", form=form)
    return render("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    raw = session.get("sid")
    if raw:
        services.end_session(raw)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render("accounts/reset_sent.html", email=form.email.data)
    if form.errors:
        return invalid("accounts/reset_request.html", form=form)
    return render("accounts/reset_request.html", form=form)


@bp.get("/reset/<token>")
def reset_landing(token: str):
    """Keep the token out of the address bar, history and Referer (E9)."""
    session["reset_token"] = token
    return redirect(url_for("accounts.reset_password"), code=303)


@bp.route("/reset/new", methods=["GET", "POST"])
def reset_password():
    reset = services.open_reset(session.get("reset_token", ""))
    if reset is None:
        return render("accounts/link_invalid.html", status=404)
    form = ResetForm()
    form._email = reset.user.email
    if form.validate_on_submit():
        services.reset_password(reset, form.password.data)
        db.session.commit()
        session.pop("reset_token", None)
        flash("Your password is changed. Log in with the new one.", "success")
        return redirect(url_for("accounts.login"), code=303)
    if form.errors:
        return invalid("accounts/reset_password.html", form=form, user=reset.user)
    return render("accounts/reset_password.html", form=form, user=reset.user)


@bp.get("/invite/<token>")
def invite_landing(token: str):
    session["invite_token"] = token
    return redirect(url_for("accounts.accept_invite"), code=303)


@bp.route("/invite/accept", methods=["GET", "POST"])
def accept_invite():
    invitation = services.open_invitation(session.get("invite_token", ""))
    if invitation is None:
        return render("accounts/link_invalid.html", status=404)
    form = AcceptInviteForm(name=invitation.name or None)
    form._email = invitation.email
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, form.name.data, form.password.data)
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            _log_in(user, remember=False)
            db.session.commit()
            flash(f"Welcome, {user.name}.", "success")
            return redirect(url_for("index"), code=303)
    if form.errors:
        return invalid("accounts/accept_invite.html", form=form, invitation=invitation)
    return render("accounts/accept_invite.html", form=form, invitation=invitation)


def _profile_forms(**overrides):
    forms = {
        "profile_form": ProfileForm(obj=current_user, prefix="profile"),
        "email_form": EmailChangeForm(prefix="email"),
        "password_form": PasswordChangeForm(prefix="password"),
    }
    forms.update(overrides)
    return forms


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(prefix="profile")
    if request.method == "POST":
        if form.validate_on_submit():
            current_user.name = form.name.data.strip()
            current_user.title = (form.title.data or "").strip()
            db.session.commit()
            flash("Profile saved.", "success")
            return see_other(url_for("accounts.profile"))
        return invalid("accounts/profile.html", **_profile_forms(profile_form=form))
    return render("accounts/profile.html", **_profile_forms())


@bp.post("/email")
@login_required
def change_email():
    form = EmailChangeForm(prefix="email")
    if form.validate_on_submit():
        try:
            services.change_email(current_user, form.current_password.data, form.email.data)
        except services.WrongPassword as exc:
            db.session.commit()  # keep the failure count (re-authentication is throttled)
            form.current_password.errors.append(exc.message)
        except Conflict as exc:
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Email address changed.", "success")
            return see_other(url_for("accounts.profile"))
    return invalid("accounts/profile.html", **_profile_forms(email_form=form))


@bp.post("/password")
@login_required
def change_password():
    form = PasswordChangeForm(prefix="password")
    form._email = current_user.email
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data,
                                     keep_session=session.get("sid"))
        except services.WrongPassword as exc:
            db.session.commit()  # keep the failure count (re-authentication is throttled)
            form.current_password.errors.append(exc.message)
        except services.WeakPassword as exc:
            form.new_password.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Password changed. Your other sessions were logged out.", "success")
            return see_other(url_for("accounts.profile"))
    return invalid("accounts/profile.html", **_profile_forms(password_form=form))
