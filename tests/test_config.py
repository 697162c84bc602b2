import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SECRET, Settings


def test_default_secret_allowed_only_in_development():
    assert Settings(environment="development", secret_key=DEFAULT_SECRET).secret_key == DEFAULT_SECRET
    for environment in ("production", "test"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(environment=environment, secret_key=DEFAULT_SECRET)


def test_short_secret_refused():
    with pytest.raises(ValidationError, match="16 characters"):
        Settings(environment="production", secret_key="short")


def test_sqlite_is_the_default_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("data/app.db")


def test_cookies_are_secure_outside_development():
    assert not Settings(environment="development").secure_cookies
    assert Settings(environment="production", secret_key="x" * 20).secure_cookies
    assert Settings(environment="test", secret_key="x" * 20).secure_cookies
