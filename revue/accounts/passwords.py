"""Password hashing and policy (SECURITY A1–A3).

Argon2id with at least OWASP's minimum (19 MiB, t=2); verification reads the
parameters from the stored value, and hashes made with weaker settings are upgraded
at the next login. Unknown accounts are verified against a dummy hash so both paths
cost the same.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
MAX_LENGTH = 1024


@functools.cache
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"])


@functools.cache
def _dummy_hash(memory_kib: int, time_cost: int, parallelism: int) -> str:
    return _hasher(memory_kib, time_cost, parallelism).hash("revue dummy password for timing")


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return hasher().hash(_normalise(password))


def verify(stored: str | None, password: str) -> bool:
    """Check ``password``; when ``stored`` is None do the same work against a dummy."""
    cfg = current_app.config
    target = stored or _dummy_hash(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"])
    try:
        ok = PasswordHasher().verify(target, _normalise(password))  # parameters come from the hash
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is refused, in plain words, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        return "That password is too common. A few random words make a strong one."
    if email and lowered in (email.lower(), email.split("@")[0].lower()):
        return "Don't use your email address as your password."
    if name and lowered == name.lower():
        return "Don't use your name as your password."
    return None
