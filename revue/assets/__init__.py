from flask import Blueprint

bp = Blueprint("assets", __name__, url_prefix="/assets")

from . import pipeline, routes, routes_files  # noqa: E402,F401  (pipeline registers the rendition job)
