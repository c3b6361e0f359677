"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = None  # our own server-side sessions do this job

csrf = CSRFProtect()
migrate = Migrate(compare_type=True, render_as_batch=True)
htmx = HTMX()
