"""Engine creation, migrations, flow locks and the dialect-neutral upsert used by every repository."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, Table, create_engine, event, func, make_url, select, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from connector import store_url
from connector.errors import ConfigError, FlowLockedError, StoreLocationError, StoreUnavailableError
from connector.logs import redact

MIGRATIONS = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the store is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


CONNECT_TIMEOUT_S = 10
"""How long to wait for a PostgreSQL server to answer, unless the URL sets connect_timeout itself."""


def open_engine(url: str | URL) -> Engine:
    """Create the engine for ``url`` and connect once, so an unusable store fails here, by name.

    SQLite gets WAL and a busy timeout so reports can read during runs. Raises StoreLocationError
    (exit 2) for a SQLite file in a folder that does not exist, StoreUnavailableError (exit 3) for a
    store that cannot be opened or written, or a server that is unreachable or refuses the login.
    A password in ``url`` is never shown: errors render the URL masked.
    """
    shown = url.render_as_string(hide_password=True) if isinstance(url, URL) else redact(url)
    missing = store_url.missing_directory(shown)
    if missing is not None:
        raise StoreLocationError(
            f"[state] url: the folder {missing} of the SQLite store does not exist "
            f"(create it, or point [state] url at a file in an existing folder)"
        )
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, poolclass=NullPool)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_S}
            engine = create_engine(parsed, pool_pre_ping=True, connect_args=timeout)
    except (ArgumentError, ImportError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConfigError(f"state.url: cannot use {shown!r}: {redact(exc)}") from None
    with _unavailable_as_error(engine):
        engine.connect().close()
    return engine


@contextlib.contextmanager
def _unavailable_as_error(
    engine: Engine, doing: str = "cannot open it", refusals: type[DBAPIError] = DBAPIError
) -> Iterator[None]:
    """Turn a driver's ``refusals`` or the file system's into StoreUnavailableError naming the store."""
    try:
        yield
    except refusals as exc:
        reason = " ".join(str(exc.orig).split())
        raise StoreUnavailableError(f"state store ({_where(engine)}): {doing}: {reason}") from None
    except OSError as exc:
        reason = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
        raise StoreUnavailableError(f"state store ({_where(engine)}): {doing}: {reason}") from None


def _where(engine: Engine) -> str:
    return store_url.describe(engine.url.render_as_string(hide_password=True))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> str:
    """Apply every pending migration; returns the revision the store is at.

    Processes that start together (replicas on PostgreSQL, a manual run beside the daemon) take turns:
    without that, each sees an empty store and all but one fail creating the same tables.
    """
    with (
        _unavailable_as_error(engine, "cannot migrate it", OperationalError),
        _sqlite_migration_lock(engine),
        engine.begin() as connection,
    ):
        if connection.dialect.name == "postgresql":  # held until this transaction ends
            connection.execute(select(func.pg_advisory_xact_lock(_advisory_key("revloop/migrations"))))
        command.upgrade(_alembic_config(connection), "head")
    return head_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head() or ""


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
    increment: Sequence[str] = (),
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update, on SQLite and PostgreSQL alike.

    Columns in ``increment`` are added to the stored value instead of replacing it.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    if update or increment:
        changes: dict[str, Any] = {column: statement.excluded[column] for column in update}
        changes.update({column: table.c[column] + statement.excluded[column] for column in increment})
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))


def insert_if_absent(
    connection: Connection, table: Table, row: dict[str, Any], *, keys: Sequence[str]
) -> Any | None:
    """Insert ``row`` unless a row with the same keys exists; the inserted row, or None."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**row).on_conflict_do_nothing(index_elements=list(keys))
    return connection.execute(statement.returning(*table.c)).first()


@contextlib.contextmanager
def flow_lock(engine: Engine, flow: str) -> Iterator[None]:
    """Hold an exclusive lock on ``flow`` for the life of the block; released by the OS or server on crash.

    PostgreSQL: a session advisory lock on a dedicated connection (several replicas). SQLite: an
    ``flock`` on a file next to the database (SQLite means one daemon, but a manual run may overlap).
    """
    if engine.dialect.name == "postgresql":
        key = _advisory_key(f"revloop:{flow}")
        with engine.connect() as connection:
            acquired = connection.execute(select(func.pg_try_advisory_lock(key))).scalar()
            # The lock belongs to the session, not the transaction: left open for the whole run, the
            # transaction would be "idle in transaction", which idle_in_transaction_session_timeout
            # ends by killing the session, and with it the lock, in the middle of the run.
            connection.commit()
            if not acquired:
                raise FlowLockedError(f"flow {flow} is already running in another revloop process")
            try:
                yield
            finally:
                connection.execute(select(func.pg_advisory_unlock(key)))
                connection.commit()
        return
    lock_path = _sqlite_lock_path(engine, flow)
    with _open_beside_store(engine, lock_path) as handle:
        if not _flock_within(handle, LOCK_GRACE_S):
            raise FlowLockedError(f"flow {flow} is already running in another revloop process")
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def flow_lock_held(engine: Engine, flow: str) -> bool:
    """Whether a process holds ``flow``'s lock now, that is, runs the flow.

    PostgreSQL: read from pg_locks, without touching the lock. SQLite: a shared ``flock`` taken and
    released at once; a run starting in that instant waits for it (``flow_lock`` retries for
    LOCK_GRACE_S), so asking never makes a run give up.
    """
    if engine.dialect.name == "postgresql":
        key = _advisory_key(f"revloop:{flow}") & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows it as two oids
        with engine.connect() as connection:
            held = connection.execute(HELD_ADVISORY_LOCKS, {"high": key >> 32, "low": key & 0xFFFF_FFFF})
            return bool(held.scalar())
    lock_path = _sqlite_lock_path(engine, flow)
    if not os.path.exists(lock_path):  # lock files are never removed: no file, never locked
        return False
    with open(lock_path) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


LOCK_GRACE_S = 0.2
"""How long a SQLite flow lock waits for a holder that may only be flow_lock_held looking at it."""

HELD_ADVISORY_LOCKS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid)"
)


def _flock_within(handle: TextIO, seconds: float) -> bool:
    """Take an exclusive ``flock`` on ``handle``, trying for up to ``seconds``; False when still held."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def _advisory_key(name: str) -> int:
    """A PostgreSQL advisory-lock key; flows use ``revloop:<flow>``, so other names use another prefix."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """A blocking ``flock`` beside a SQLite file (its DDL is not transactional); a no-op elsewhere."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with _open_beside_store(engine, f"{database}.migrate-lock") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _open_beside_store(engine: Engine, path: str) -> TextIO:
    """``path`` opened for appending; a folder revloop cannot write in is StoreUnavailableError."""
    with _unavailable_as_error(engine, "cannot write beside it"):
        return open(path, "a+")


def _sqlite_lock_path(engine: Engine, flow: str) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        return os.path.join(os.environ.get("TMPDIR", "/tmp"), f"revloop-memory-{os.getpid()}.{flow}.lock")
    return f"{database}.{flow}.lock"
