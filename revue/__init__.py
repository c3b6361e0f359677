"""Revue: creative review and approval for agencies."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, jobs
from .db import db as _db
from .db import tune_engine
from .errors import register_error_handlers
from .extensions import csrf, htmx, login_manager, migrate
from .security import register_body_limits, register_security_headers

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    instance = os.environ.get("REVUE_INSTANCE_PATH") or (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance or ROOT / "instance").resolve()),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    config.load(app, test_config)
    configure_logging(app)
    register_body_limits(app)  # before the CSRF check reads the form
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_commands(app)
    register_template_helpers(app)
    if app.config.get("TRUSTED_PROXIES"):
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    return app


def configure_logging(app: Flask) -> None:
    if app.config.get("TESTING") or logging.getLogger().handlers:
        return
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def register_extensions(app: Flask) -> None:
    _db.init_app(app)
    with app.app_context():
        tune_engine(_db.engine)
    migrate.init_app(app, _db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    jobs.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .accounts import bp as accounts_bp
    from .assets import bp as assets_bp
    from .board import bp as board_bp
    from .clients import bp as clients_bp
    from .health import bp as health_bp
    from .links import bp as links_bp
    from .projects import bp as projects_bp
    from .review import bp as review_bp
    from .review import status as _status  # noqa: F401  (connects status derivation to asset events)
    from .search import bp as search_bp
    from .settings import bp as settings_bp

    for bp in (accounts_bp, clients_bp, projects_bp, assets_bp, board_bp, review_bp, links_bp, search_bp,
               settings_bp, health_bp):
        app.register_blueprint(bp)

    @app.get("/")
    def index():
        return redirect(url_for("projects.index"))


def register_template_helpers(app: Flask) -> None:
    from datetime import date

    from werkzeug.local import LocalProxy

    from .db import utcnow
    from .rendering import ago
    from .richtext import to_html

    app.jinja_env.filters["markdown"] = to_html
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["timecode"] = timecode
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.globals["today"] = date.today
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["macros"] = LocalProxy(lambda: app.jinja_env.get_template("_macros.html").module)


def local_time(moment, fmt: str = "%d %b %H:%M") -> str:
    """A stored UTC time as the workspace's clock shows it (due dates in pages and emails)."""
    from .settings.services import workspace_zone

    return moment.astimezone(workspace_zone()).strftime(fmt) if moment else ""


def filesize(size: int | None) -> str:
    """``840 bytes``, ``20.1 MB``: tenths rounded up, so a file over a limit never reads as the limit itself."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} bytes"
    power = 1
    while power < 3 and size * 10 > 10239 * 1024**power:  # 1023.9 KB is the most a KB reads
        power += 1
    tenths = -(-size * 10 // 1024**power)  # rounded up
    return f"{tenths // 10}.{tenths % 10} {('KB', 'MB', 'GB')[power - 1]}"


def timecode(seconds: float | None, fps: float | None = None) -> str:
    """``HH:MM:SS`` or, with a frame rate, ``HH:MM:SS:FF``."""
    if seconds is None:
        return ""
    whole = int(seconds)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    if fps:
        text += f":{int(round((seconds - whole) * float(fps))) % max(int(round(float(fps))), 1):02d}"
    return text


def register_commands(app: Flask) -> None:
    from .cli import revue_cli

    app.cli.add_command(revue_cli)
