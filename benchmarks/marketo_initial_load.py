"""Benchmark: Marketo API calls of a first run's initial load, by strategy, against the sandbox's fake.

    python benchmarks/marketo_initial_load.py --leads 10000 --months 12 [--json]

Seeds N leads created over the last ``months`` months (before the activity window, untouched since),
all in one static list, then reads a first run's changes through the Marketo adapter once per strategy
(``activities``, ``list``, ``bulk_extract`` back to the oldest lead's day) and reports the calls per
endpoint and the leads read. Reads only: the Salesforce writes are the same whatever the strategy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector.sandbox.server import start_sandbox
from connector.systems.guard import CallGuard
from connector.systems.marketo.adapter import MarketoSystem
from connector.systems.marketo.settings import MarketoSettings

LIST_ID = 4242
FIELDS = ["email", "firstName", "lastName", "company", "leadScore", "leadSource"]


def seed(fake, leads: int, months: int) -> datetime:
    """N old leads spread over ``months`` months ending 60 days ago; returns the oldest one's time."""
    newest = datetime.now(UTC) - timedelta(days=60)
    span = timedelta(days=30 * months)
    rows = []
    for n in range(leads):
        created = newest - span + span * n / max(leads - 1, 1)
        rows.append(
            {
                "email": f"lead{n}@bench.example.jp",
                "lastName": f"Lead{n}",
                "company": "Bench",
                "leadScore": n % 100,
                "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    ids = fake.seed({"leads": rows})["leads"]
    fake.seed({"lists": [{"id": LIST_ID, "name": "Everyone"}], "list_members": {str(LIST_ID): ids}})
    return newest - span


def read(sandbox, fake, **keys) -> dict:
    url = sandbox.url("marketo")
    settings = MarketoSettings(
        base_url=url + "/rest",
        identity_url=url + "/identity",
        ca_bundle=sandbox.ca_bundle,
        allow_private_network=True,
        client_id_env="BENCH_MKTO_ID",
        client_secret_env="BENCH_MKTO_SECRET",
        initial_load_poll_s=0.001,
        **keys,
    )
    marketo = MarketoSystem(settings, CallGuard("marketo"), sleep=lambda seconds: None)
    started = time.monotonic()
    ids = {record.id for page in marketo.read_changes("leads", None, FIELDS) for record in page.records}
    calls = {endpoint: n for endpoint, n in sorted(marketo.guard.calls.items()) if n}
    return {
        "leads_read": len(ids),
        "calls": sum(calls.values()),
        "by_endpoint": calls,
        "seconds": round(time.monotonic() - started, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with start_sandbox(Path(tempfile.mkdtemp(prefix="mkto-bench-")), systems=["marketo"]) as sandbox:
        fake = sandbox.service("marketo")
        os.environ["BENCH_MKTO_ID"], os.environ["BENCH_MKTO_SECRET"] = fake.client_id, fake.client_secret
        oldest = seed(fake, args.leads, args.months)
        since = oldest.date().isoformat()
        results = {
            "activities": read(sandbox, fake),
            "list": read(sandbox, fake, initial_load="list", initial_list_id=LIST_ID),
            "bulk_extract": read(sandbox, fake, initial_load="bulk_extract", initial_load_since=since),
        }
    report = {"leads": args.leads, "months": args.months, "strategies": results}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, result in results.items():
            read_and_calls = f"{result['leads_read']:>7} leads read  {result['calls']:>4} calls"
            print(f"{name:13} {read_and_calls}  {result['by_endpoint']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
