from __future__ import annotations

import re
import zoneinfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

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
