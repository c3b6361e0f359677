from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, InputRequired, Length

from . import passwords

PASSWORD_HELP = "At least 8 characters. Long phrases with spaces are welcome."


class NewPassword(PasswordField):
    def __init__(self, label="Password", **kwargs):
        super().__init__(
            label,
            validators=[InputRequired(), Length(max=passwords.MAX_LENGTH)],
            description=PASSWORD_HELP,
            render_kw={"autocomplete": "new-password", "minlength": passwords.MIN_LENGTH},
            **kwargs,
        )

    def post_validate(self, form, validation_stopped):
        if not validation_stopped and not self.errors:
            email = getattr(getattr(form, "email", None), "data", "") or getattr(form, "_email", "")
            name = getattr(getattr(form, "name", None), "data", "") or ""
            reason = passwords.problem(self.data or "", email=email or "", name=name)
            if reason:
                self.errors.append(reason)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(label="Email"):
    return EmailField(
        label,
        filters=[_strip],
        validators=[InputRequired(), Email(check_deliverability=False), Length(max=320)],
        render_kw={"autocomplete": "email"},
    )


def name_field(label="Your name"):
    return StringField(label, validators=[InputRequired(), Length(max=120)], render_kw={"autocomplete": "name"})


class SetupForm(FlaskForm):
    workspace_name = StringField("Agency name", validators=[InputRequired(), Length(max=120)],
                                 render_kw={"autocomplete": "organization"})
    name = name_field()
    email = email_field("Your email")
    password = NewPassword()


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired(), Length(max=passwords.MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me logged in on this device")


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetForm(FlaskForm):
    password = NewPassword("New password")


class AcceptInviteForm(FlaskForm):
    name = name_field()
    password = NewPassword("Choose a password")


class ProfileForm(FlaskForm):
    name = name_field("Name")
    title = StringField("Job title", validators=[Length(max=120)], render_kw={"autocomplete": "organization-title"})


class EmailChangeForm(FlaskForm):
    email = email_field("New email")
    current_password = PasswordField("Current password", validators=[InputRequired()],
                                     render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = NewPassword("New password")


class ContactInviteForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    email = email_field()
