"""Domain exceptions and the error pages (403/404/409/413/422/429/500).

htmx requests get a toast fragment (``HX-Retarget`` to the toast region) so a failure
is always visible; plain requests get a full page.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .db import db
from .security import body_limit_message

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the product was broken; the message is shown to the user."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """What the person sent can't be used as it is (422)."""

    status = 422


class NotAllowed(DomainError):
    status = 403


class TooManyAttempts(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


TITLES = {
    400: ("Bad request", "The request could not be understood. Reload the page and try again."),
    403: ("Not allowed", "Your role does not allow this. Ask an admin of the workspace if you need it."),
    404: ("Not found", "There is nothing here, or it is not shared with you."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Conflict", "This changed in the meantime. Reload the page to see the latest state."),
    413: ("File too large", "That upload is larger than this workspace allows."),
    422: ("Check the form", "Some fields need another look."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Something went wrong", "The error was logged. Nothing you sent was half-saved; please try again."),
}


# The page when error.html itself cannot be rendered (its layout reads the database).
PLAIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    '<link rel="stylesheet" href="/static/css/revue.css"></head><body><main id="main" class="container">'
    '<section class="empty-state error-page"><p class="error-code">{status}</p><h1>{title}</h1><p>{message}</p>'
    '<p><a class="btn" href="/">Go to the start page</a></p></section></main></body></html>'
)
PLAIN_TOAST = '<div class="toast toast-error" role="alert"><strong>{title}</strong> <span>{message}</span></div>'


def error_response(status: int, message: str | None = None, headers: dict | None = None):
    title, default = TITLES.get(status, TITLES[500])
    text = message or default
    htmx = bool(request.headers.get("HX-Request"))
    try:
        if htmx:
            body = render_template("_toast.html", title=title, message=text, level="error")
        else:
            body = render_template("error.html", status=status, title=title, message=text)
    except Exception:  # noqa: BLE001 — e.g. the database is down: still answer, plainly
        log.exception("could not render the %s page", status)
        _rollback()
        body = (PLAIN_TOAST if htmx else PLAIN_PAGE).format(status=status, title=escape(title), message=escape(text))
    hdrs = {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"} if htmx else {}
    hdrs.update(headers or {})
    return body, status, hdrs


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — a dead connection must not hide the original error
        log.exception("rollback failed")


def register_error_handlers(app: Flask) -> None:
    def http_error(exc: HTTPException):
        description = None
        own_words = exc.description and exc.description != type(exc).description  # not Werkzeug's default
        if exc.code in (400, 403, 409, 413, 422, 429) and own_words and not exc.description.startswith(
            ("The browser", "The server", "The request")
        ):
            description = exc.description
        if exc.code == 413:
            description = body_limit_message() or (
                f"That upload is larger than this workspace allows "
                f"({app.config['MAX_UPLOAD_MB']} MB for documents and images, "
                f"{app.config['MAX_MEDIA_UPLOAD_MB']} MB for video and audio)."
            )
        headers = {}
        if exc.code == 429 and getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        return error_response(exc.code or 500, description, headers)

    for code in (400, 403, 404, 405, 409, 413, 422, 429):
        app.register_error_handler(code, http_error)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        _rollback()
        headers = {}
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
        return error_response(exc.status, exc.message, headers)

    @app.errorhandler(500)
    def server_error(exc):
        _rollback()
        original = getattr(exc, "original_exception", exc)
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
        return error_response(500)
