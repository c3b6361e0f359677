"""Response headers that every page carries (SECURITY G1, G3, F5), and request body limits."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def register_security_headers(app: Flask) -> None:
    https = app.config["BASE_URL"].startswith("https://")

    @app.after_request
    def headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            h.setdefault("Content-Security-Policy", CSP)
        if https or request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if not request.path.startswith("/static/"):
            private = current_user.is_authenticated or getattr(request, "revue_guest", False)
            if private or response.mimetype == "text/html":
                h.setdefault("Cache-Control", "no-store")
        h.pop("Server", None)
        return response


FORM_BODY_MB = 25  # any form without its own limit (a logo is the largest file one carries)


def body_limit(megabytes: int | None, message: str = "") -> Callable:
    """A view's own request body limit, with what a 413 tells the person; ``None``: the app's largest
    (MAX_CONTENT_LENGTH, for uploads of creative work). Put it right under the route decorator."""
    def mark(view):
        view.body_limit = (megabytes, message)
        return view
    return mark


def register_body_limits(app: Flask) -> None:
    """Caps each request body before anything reads it — before the CSRF check parses the form, so
    register this before the extensions. A form that is too large is refused with 413 at once."""
    @app.before_request
    def limit_body():
        view = app.view_functions.get(request.endpoint or "")
        megabytes, _message = getattr(view, "body_limit", (FORM_BODY_MB, ""))
        ceiling = app.config.get("MAX_CONTENT_LENGTH")  # the largest body the app takes at all
        if megabytes is not None:
            request.max_content_length = min(megabytes * 2**20, ceiling or megabytes * 2**20)


def body_limit_message() -> str:
    """What the 413 page says for the view of this request ('' for the general wording)."""
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "body_limit", (None, ""))[1]
