from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError


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


class NewProjectForm(ProjectForm):
    """Creating a project also chooses its review workflow; the choices come from the workspace templates."""

    workflow = SelectField(
        "Review workflow", default="", validate_choice=False,
        description="The project gets its own copy of the template, to adjust on its Workflow page. "
                    "“Set up later” follows the workspace default until you change it.",
    )

    def validate_workflow(self, field):
        if field.data not in {value for value, _name in field.choices}:
            raise ValidationError("Choose one of the workspace's workflow templates, or “Set up later”.")


class MemberForm(FlaskForm):
    user_id = SelectField("Team member", coerce=int, validators=[InputRequired()])
