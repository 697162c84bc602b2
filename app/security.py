"""Passwords (argon2), random secrets and their hashes, and constant-time comparison."""

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


@lru_cache
def _dummy_hash() -> str:
    # Verifying against this keeps a sign-in for an unknown email as slow as a real one.
    return _hasher().hash("not-a-real-password")

TOKEN_PREFIX = "sp_"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    # An account whose password is not set yet (no "$argon2..." hash) takes as long as any other.
    usable = password_hash is not None and password_hash.startswith("$")
    try:
        return _hasher().verify(password_hash if usable else _dummy_hash(), password) and usable
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_token() -> tuple[str, str, str]:
    """A new token, its visible prefix and its hash. Only the hash and prefix are stored."""
    public = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{public}_{secrets.token_urlsafe(32)}"
    return token, f"{TOKEN_PREFIX}{public}", sha256_hex(token)


def new_session_key() -> str:
    return secrets.token_urlsafe(32)


def sign(secret_key: str, value: str) -> str:
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
