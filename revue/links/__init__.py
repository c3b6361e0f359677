"""Guest access: emailed decision links (``/e``) and review links (``/r``)."""

from flask import Blueprint

bp = Blueprint("links", __name__)

from . import emailed, guest, manage, models, routes_unsubscribe  # noqa: E402,F401
