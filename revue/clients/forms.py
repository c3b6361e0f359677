from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, Optional, ValidationError


def with_scheme(value: str | None) -> str | None:
    """``acmecoffee.example`` is a web address too: people rarely type the https:// part."""
    value = (value or "").strip()
    return f"https://{value}" if value and "://" not in value else value


class ClientForm(FlaskForm):
    name = StringField("Client name", validators=[InputRequired(), Length(max=120)])
    # A text field, not type="url": browsers refuse an address without its scheme before we can add it.
    website = StringField("Website", filters=[with_scheme],
                          validators=[Optional(), Length(max=300),
                                      URL(require_tld=False, message="Enter a web address, like acmecoffee.example.")],
                          render_kw={"inputmode": "url", "autocomplete": "url", "placeholder": "acmecoffee.example"})
    notes = TextAreaField("Notes for the team", validators=[Length(max=5000)],
                          description="Only your team sees these notes.")

    def validate_website(self, field):
        # WTForms before 3.3 accepts any scheme (``javascript://x/%0aalert(1)``); the page links to it.
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Use a web address starting with http:// or https://.")
