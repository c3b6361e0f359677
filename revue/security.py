"""Response headers that every page carries (SECURITY G1, G3, F5)."""

from __future__ import annotations

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
