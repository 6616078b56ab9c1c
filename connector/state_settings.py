"""[state] in config.toml: where the state store is, its password by reference, and what it may keep.

A base module like :mod:`connector.settings`: SQLAlchemy is imported only when a URL is parsed, so
loading a config stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import field_serializer, field_validator, model_validator

from connector.logs import redact, register_secret
from connector.settings import Strict, read_secret
from connector.store_url import DEFAULT_URL

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


class StateSettings(Strict):
    url: str = DEFAULT_URL
    """SQLAlchemy URL: sqlite:///path.db (one daemon) or postgresql+psycopg://... (several replicas).
    A password in it works but is better kept out: ``password_env``, ``password_file``, or the driver's
    own PGPASSWORD and ~/.pgpass (used when revloop passes no password). It is never shown."""
    password_env: str | None = None
    """Environment variable holding the database password, added to ``url`` when the store is opened."""
    password_file: Path | None = None
    """File holding the database password (a secret file: see :func:`connector.settings.read_file_secret`)."""
    store_personal_data: bool = True
    """Keep names, emails, phones and free text in sync-error payloads and messages (what lets an admin
    fix a refused value); false masks them before they are stored, and so in every export."""

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        from sqlalchemy.exc import ArgumentError

        try:
            register_secret(_parse_url(value).password)  # masked in every message from now on
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ValueError("expected a SQLAlchemy URL: dialect+driver://user@host:port/database") from None
        return value

    @model_validator(mode="after")
    def _check_password(self) -> StateSettings:
        if not (self.password_env or self.password_file):
            return self
        url = _parse_url(self.url)
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        if url.get_backend_name() == "sqlite":
            raise ValueError("SQLite has no password: password_env and password_file are for PostgreSQL")
        if url.password is not None:
            raise ValueError("url already holds a password: take it out, or drop password_env/_file")
        return self

    @field_serializer("url")
    def _masked_url(self, url: str) -> str:
        return redact(url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "url" else value

    def required_secrets(self) -> tuple[str, ...]:
        """The secrets config checks must find (``<name>_env`` / ``<name>_file``, as for systems)."""
        return ("password",) if self.password_env or self.password_file else ()

    def engine_url(self) -> URL:
        """The URL to open the store with: ``url`` plus the password of password_env or password_file.

        Its str() and repr() mask the password, and the password is registered for redaction.
        """
        url = _parse_url(self.url)
        if self.password_env or self.password_file:
            url = url.set(password=read_secret(self.password_env, self.password_file))
        return url

    def warnings(self) -> list[str]:
        """What works but should change (``config check`` prints it)."""
        if _parse_url(self.url).password is None:
            return []
        return [
            "state.url holds a password: move it out of the config, to [state] password_env or "
            "password_file, or to the driver's PGPASSWORD or ~/.pgpass"
        ]


def _parse_url(value: str) -> URL:
    """``value`` as a SQLAlchemy URL; sqlalchemy is imported on use, so loading a config stays cheap."""
    from sqlalchemy.engine import make_url

    return make_url(value)
