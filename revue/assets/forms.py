from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class TitleForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])


class AssignForm(FlaskForm):
    assignee_id = SelectField("Assignee", coerce=int, validators=[Optional()])


class DueForm(FlaskForm):
    due_date = DateField("Due date", validators=[Optional()])


class VersionNoteForm(FlaskForm):
    note = TextAreaField("What changed", validators=[Length(max=5000)], render_kw={"rows": 2})
