from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import comment_routes, routes, viewer  # noqa: E402,F401
