"""Random tokens for links and sessions: 256 random bits, only their SHA-256 is stored (E3)."""

import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """Return ``(raw, digest)``: give out ``raw``, store ``digest``."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
