from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class ProjectForm(FlaskForm):
    name = StringField("Project name", validators=[InputRequired(), Length(max=160)])
    client_id = SelectField("Client", coerce=int, validators=[InputRequired(message="Choose a client.")])
    due_date = DateField("Due date", validators=[Optional()])
    brief = TextAreaField(
        "Brief",
        validators=[Length(max=20000)],
        description="What the work is for. **bold**, *italic*, lists and links are kept.",
        render_kw={"rows": 8},
    )


class MemberForm(FlaskForm):
    user_id = SelectField("Team member", coerce=int, validators=[InputRequired()])
