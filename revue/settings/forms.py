from __future__ import annotations

import re
import zoneinfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..accounts.forms import email_field
from ..accounts.models import Role

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in zones]


class WorkspaceForm(FlaskForm):
    name = StringField("Agency name", validators=[InputRequired(), Length(max=120)])
    brand_color = StringField("Brand colour", validators=[InputRequired()],
                              description="Used on pages and emails your clients see.",
                              render_kw={"type": "color"})
    timezone = SelectField("Time zone", validators=[InputRequired()])
    logo = FileField("Logo", validators=[FileAllowed(["png", "jpg", "jpeg", "webp", "gif"],
                                                     "Upload a PNG, JPEG, WebP or GIF image.")],
                     description="PNG, JPEG or WebP, shown at most 48 px high.")
    remove_logo = BooleanField("Remove the current logo")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_brand_color(self, field):
        if not COLOR.match(field.data or ""):
            raise ValidationError("Use a colour like #4f46e5.")


def team_roles() -> list[tuple[str, str]]:
    # A callable: WTForms 3.3 deprecates tuples passed as ``choices=`` (a warning on every form).
    return [(Role.MEMBER.value, "Member"), (Role.ADMIN.value, "Admin"), (Role.OWNER.value, "Owner")]


class InviteForm(FlaskForm):
    """Invite a team member (client contacts are invited from their client's page)."""

    name = StringField("Name", validators=[Length(max=120)])
    email = email_field()
    role = SelectField("Role", choices=team_roles, default=Role.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=team_roles, validate_choice=False)

    def validate_role(self, field):
        if field.data not in {value for value, _ in team_roles()}:
            raise ValidationError("Choose a role from the list.")
