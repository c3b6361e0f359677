"""Gunicorn's access log without link tokens (E9, H3): ``/r/<token>`` and ``/e/<token>`` are redacted."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

TOKEN_PATH = re.compile(r"/(r|e|account/reset|account/invite)/(?!unsubscribe/|thumb/)[A-Za-z0-9_\-]{16,}")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/[token]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        values = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q"):
            if isinstance(values.get(key), str):
                values[key] = redact(values[key])
        return values
