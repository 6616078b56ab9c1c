"""What a state-store URL names, read with the standard library only (no SQLAlchemy, no driver).

The config check, the state store's error messages and the container health check (which must start
in a few milliseconds) all need to know where a SQLite file is, or which server a URL points at,
without ever repeating the password a URL may carry.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "sqlite:///revloop.db"
"""[state] url when the config does not set it (connector.config.StateSettings says the same)."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URL (relative to the working directory), or None for
    another kind of store and for an in-memory SQLite database."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+")[0] != "sqlite":
        return None
    database = rest.removeprefix("/").split("?")[0]  # sqlite:///rel.db → rel.db, sqlite:////abs → /abs
    if not database or database == ":memory:":
        return None
    return Path(database)


def missing_directory(url: str) -> Path | None:
    """The folder a SQLite URL's file would be in, when that folder does not exist; else None."""
    database = sqlite_file(url)
    if database is None:
        return None
    folder = database.absolute().parent
    return None if folder.is_dir() else folder


def describe(url: str) -> str:
    """The store for people: a SQLite file's path, or the server's kind, host:port and database.

    Never the user's password: only the parts after the ``@`` of the URL's authority are shown.
    """
    database = sqlite_file(url)
    if database is not None:
        return f"SQLite file {database}"
    parts = urlsplit(url)
    kind = parts.scheme.split("+")[0] or "store"
    try:
        port = parts.port or (5432 if kind.startswith("postgres") else None)
    except ValueError:  # a port that is not a number
        port = None
    where = f"{parts.hostname or 'localhost'}:{port}" if port else (parts.hostname or "localhost")
    name = parts.path.lstrip("/")
    return f"{kind} server {where}" + (f", database {name}" if name else "")
