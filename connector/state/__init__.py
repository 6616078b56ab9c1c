"""The sync-state store: SQLite by default, PostgreSQL for production and several replicas.

Repositories are modules of plain functions over a SQLAlchemy connection, so a flow can commit a
cursor, outbox rows, links and error rows in one transaction.
"""

from __future__ import annotations

from sqlalchemy import URL, Engine

from connector.state.db import open_engine, upgrade


def open_store(url: str | URL, *, migrate: bool = True) -> Engine:
    """Open the store at ``url`` and, by default, apply pending migrations."""
    engine = open_engine(url)
    if migrate:
        upgrade(engine)
    return engine
