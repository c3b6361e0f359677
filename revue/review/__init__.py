from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import comment_routes, jobs, pages, routes, viewer  # noqa: E402,F401
