"""A stand-in replica for the replica tests, run as its own process: ``python replica_worker.py ...``.

    migrate URL GO                 open (and migrate) the store once the file GO exists
    run CONFIG FLOW WINDOW GO      run one cycle of FLOW for WINDOW ("-" is a manual run) once GO exists

Everything slow (imports, config, engine) happens before the process says it is ready (an empty file
``GO.ready.<pid>``) and waits on GO, so processes released together really overlap. It prints one JSON
line: the outcome, or the error that escaped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def wait_for(go: Path) -> None:
    """Say this process is ready (a file beside GO), then wait for GO."""
    go.with_name(f"{go.name}.ready.{os.getpid()}").touch()
    while not go.exists():
        time.sleep(0.005)


def migrate(url: str, go: Path) -> dict:
    from connector.state import open_store

    wait_for(go)
    open_store(url)
    return {"status": "migrated"}


def run(config_path: str, flow: str, window: str, go: Path) -> dict:
    from connector.config import load_config
    from connector.flows.runner import run_flow
    from connector.state import open_store

    config = load_config(Path(config_path))
    engine = open_store(config.state.url)
    wait_for(go)
    outcome = run_flow(config, flow, window=None if window == "-" else window, engine=engine)
    return {"status": outcome.status, "counts": outcome.counts, "message": outcome.message}


def main(argv: list[str]) -> None:
    command, *args = argv
    try:
        if command == "migrate":
            result = migrate(args[0], Path(args[1]))
        else:
            result = run(args[0], args[1], args[2], Path(args[3]))
    except Exception as exc:  # the test reads what escaped; nothing may escape
        result = {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
