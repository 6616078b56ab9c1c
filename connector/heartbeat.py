"""The daemon's heartbeat: where its file is, writing it, and whether it is fresh.

The daemon's scheduler rewrites the file from a job on the same executor as the flows, so a scheduler
or executor that stops working stops the heartbeat. Standard library only, so the container health
check (``python -m connector.heartbeat``) starts in milliseconds instead of loading the whole CLI.

Where the file is, the first that applies:

1. the ``REVLOOP_HEARTBEAT_FILE`` environment variable;
2. ``[daemon] heartbeat_file`` in the config (relative to the config file's folder);
3. beside a SQLite store: ``<database file>.heartbeat``, so each store has its own;
4. ``revloop-daemon.heartbeat`` in the working directory (a PostgreSQL store).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from pathlib import Path

from connector import store_url

HEARTBEAT_ENV = "REVLOOP_HEARTBEAT_FILE"
CONFIG_ENV = "REVLOOP_CONFIG"
DEFAULT_FILE = "revloop-daemon.heartbeat"
EVERY_S = 30.0
"""How often the daemon beats; a health check should allow a few missed beats (120 s)."""


def locate(state_url: str, configured: Path | None = None, config_folder: Path | None = None) -> Path:
    """The heartbeat file of the daemon whose store is ``state_url`` (see the module docstring)."""
    if os.environ.get(HEARTBEAT_ENV):
        return Path(os.environ[HEARTBEAT_ENV])
    if configured is not None:
        return configured if configured.is_absolute() else (config_folder or Path()) / configured
    database = store_url.sqlite_file(state_url)
    if database is not None:
        return database.with_name(database.name + ".heartbeat")
    return Path(DEFAULT_FILE)


def locate_for_config_file(config_file: Path) -> Path:
    """The heartbeat file of the daemon that runs ``config_file``.

    The file is read as plain TOML, not validated: a health check must not depend on everything else
    in the config being loadable. A missing or unreadable config means the defaults.
    """
    try:
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {}
    url = _table(raw, "state").get("url", store_url.DEFAULT_URL)
    configured = _table(raw, "daemon").get("heartbeat_file")
    return locate(str(url), Path(configured) if configured else None, config_file.parent)


def beat(path: Path) -> None:
    """Record that the scheduler works, now. Replaced atomically: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(f"{time.time()}\n", encoding="utf-8")
    os.replace(partial, path)


def age_s(path: Path) -> float | None:
    """Seconds since the last beat, or None when there is none (no file, or not a time)."""
    try:
        return time.time() - float(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def fresh(path: Path, max_age_s: float) -> bool:
    age = age_s(path)
    return age is not None and age <= max_age_s


def main(argv: list[str] | None = None) -> int:
    """``python -m connector.heartbeat [--max-age S] [--config FILE]``: exit 0 when the daemon beat
    within S seconds, 1 otherwise (the container health check; ``revloop health`` does the same)."""
    parser = argparse.ArgumentParser(prog="python -m connector.heartbeat", description=main.__doc__)
    parser.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--config", type=Path, default=Path(os.environ.get(CONFIG_ENV, "config.toml")))
    arguments = parser.parse_args(argv)
    path = locate_for_config_file(arguments.config)
    if fresh(path, arguments.max_age):
        return 0
    print(f"no daemon heartbeat in {path} in the last {arguments.max_age:g}s", file=sys.stderr)
    return 1


def _table(raw: dict, name: str) -> dict:
    value = raw.get(name)
    return value if isinstance(value, dict) else {}


if __name__ == "__main__":
    sys.exit(main())
