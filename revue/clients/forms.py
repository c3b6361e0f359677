from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, URLField
from wtforms.validators import URL, InputRequired, Length, Optional, ValidationError


class ClientForm(FlaskForm):
    name = StringField("Client name", validators=[InputRequired(), Length(max=120)])
    website = URLField("Website", validators=[Optional(), URL(require_tld=False), Length(max=300)])
    notes = TextAreaField("Notes for the team", validators=[Length(max=5000)],
                          description="Only your team sees these notes.")

    def validate_website(self, field):
        # WTForms before 3.3 accepts any scheme (``javascript://x/%0aalert(1)``); the page links to it.
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Use a web address starting with http:// or https://.")
