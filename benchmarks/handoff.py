"""Benchmark: the MQL handoff against the sandbox, side by side with the naive per-record script.

    python benchmarks/handoff.py --contacts 10000 --latency-ms 20 [--json] [--no-baseline]
                                 [--world default|collisions]

What it does, with every fake in its own `revloop sandbox` process (so revloop's memory is measured
alone) and `latency-ms` added to every API call:
1. seeds N qualifying HubSpot contacts (modified days ago) into an empty sandbox: unique names (the
   default world), or `--world collisions`: common Japanese names repeated inside companies, numbered
   addresses, shared inboxes, and Leads sales already typed into Salesforce (collisions.py);
2. first run: `revloop run handoff` as a subprocess (wall time, peak RSS from its VmHWM, API calls
   by endpoint from the fakes' own counters);
3. a marketer changes 1% of the contacts (one HubSpot batch update per 100, not counted), then an
   incremental run (it also reads back the first run's writebacks: HubSpot bumps lastmodifieddate on
   every update); then a run with no changes at all; then another 1% change and a steady-state
   incremental run;
4. the baseline in a second, fresh sandbox: what a RevOps engineer would write by hand — page through
   the contacts, and per qualifying contact one simple-salesforce upsert and one HubSpot update.
Both worlds report ``shared_links`` (Salesforce records linked to more than one contact: wrong merges,
must be 0) and the review cases the first run opened (they wait for an admin and cost no write).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collisions import World, identity_outcome
from measure import print_result, run_revloop, total
from sandbox_process import SandboxProcess

SCORE_PROPERTY = "hubspotscore"


def contacts(start: int, stop: int) -> list[dict]:
    """Qualifying contacts (score 80-100), Japanese and English, last modified days ago."""
    seeded = []
    for index in range(start, stop):
        japanese = index % 2 == 0
        seeded.append(
            {
                "properties": {
                    "firstname": "太郎" if japanese else "Emma",
                    "lastname": f"山田{index}" if japanese else f"Smith{index}",
                    "email": f"person{index}@bench{index % 97}.example.jp",
                    "company": f"株式会社ベンチ{index % 500}" if japanese else f"Bench {index % 500} Inc.",
                    "phone": f"090-{1000 + index // 10000:04d}-{index % 10000:04d}",  # a mobile each
                    SCORE_PROPERTY: str(80 + index % 21),
                    "hs_analytics_source_data_1": "benchmark-campaign",
                },
                "updatedAt": "2026-11-20T09:00:00.000Z",
            }
        )
    return seeded


def seed_contacts(sandbox: SandboxProcess, count: int, chunk: int = 5_000) -> None:
    """Seed in chunks, so this process never holds them all (a child forked from a big parent would
    inherit its resident size in ru_maxrss)."""
    for start in range(0, count, chunk):
        sandbox.seed("hubspot", {"contacts": contacts(start, min(count, start + chunk))})


def seed_world(sandbox: SandboxProcess, world: str, count: int, chunk: int = 5_000) -> int:
    """Seed ``world``'s contacts (and Leads sales already has); returns how many Leads were seeded."""
    if world == "default":
        seed_contacts(sandbox, count)
        return 0
    generated = World(count)
    sandbox.seed("salesforce", {"Lead": generated.leads})
    for start in range(0, count, chunk):
        sandbox.seed("hubspot", {"contacts": generated.contacts[start : start + chunk]})
    return len(generated.leads)


def change_one_percent(sandbox: SandboxProcess, total: int, title: str) -> int:
    """A marketer edits 1% of the contacts (their job title) through the HubSpot API."""
    ids = sandbox.hubspot_ids()[: max(1, total // 100)]
    session = sandbox.session()
    for start in range(0, len(ids), 100):
        inputs = [{"id": i, "properties": {"jobtitle": title}} for i in ids[start : start + 100]]
        response = session.post(
            f"{sandbox.urls['hubspot']}/crm/v3/objects/contacts/batch/update",
            json={"inputs": inputs},
            headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
            timeout=60,
        )
        response.raise_for_status()
    return len(ids)


def min_api_calls(read: int, counts: dict[str, int], leads: int = 0) -> int:
    """The batching minimum of a first run: reads at the maximum page size plus full write batches.

    HubSpot search reads (200 a page); Salesforce composite upserts (200 a call), one group for the
    Leads created (upserted on the external id, refused ones included) and one for those linked
    (updated by Id); HubSpot writeback batch updates (100 a call); one OAuth token; one identity read per
    Salesforce object and 2,000 records (Account, Lead, Contact); and for the shipped mapping's
    follow-up Tasks one owner query and one Task upsert per 200 people (the owner is only known once
    Salesforce's assignment rule has run). Records waiting for review cost nothing.
    """
    created, linked = counts.get("created", 0), counts.get("linked", 0)
    written = created + linked
    upserts = math.ceil((created + counts.get("failed", 0)) / 200) + math.ceil(linked / 200)
    identity = 2 + max(1, math.ceil(leads / 2000))
    return (
        math.ceil(read / 200)
        + upserts
        + math.ceil(written / 100)
        + 1
        + identity
        + 2 * math.ceil(written / 200)
    )


def benchmark_revloop(count: int, latency_ms: float, workdir: Path, world: str = "default") -> dict:
    with SandboxProcess(workdir / "revloop") as sandbox:
        seeded_leads = seed_world(sandbox, world, count)
        sandbox.set_latency(latency_ms)
        sandbox.reset_calls()
        first = run_revloop(sandbox.config, "handoff")
        first_calls = sandbox.calls()
        changed = change_one_percent(sandbox, count, "Head of RevOps")
        sandbox.reset_calls()
        incremental = run_revloop(sandbox.config, "handoff")
        incremental_calls = sandbox.calls()
        sandbox.reset_calls()
        run_revloop(sandbox.config, "handoff")
        noop_calls = sandbox.calls()
        change_one_percent(sandbox, count, "VP Marketing")
        sandbox.reset_calls()
        steady = run_revloop(sandbox.config, "handoff")
        steady_calls = sandbox.calls()
        leads = sandbox.salesforce_lead_count()
        identity = identity_outcome(sandbox.config)
    total_first = total(first_calls)
    return {
        "world": world,
        "contacts": count,
        "latency_ms": latency_ms,
        "wall_s": round(first["wall_s"], 2),
        "api_calls": total_first,
        "api_calls_by_endpoint": first_calls,
        "min_api_calls": min_api_calls(count, identity["first_run"], seeded_leads),
        "records_per_s": round(count / first["wall_s"], 1),
        "peak_rss_mb": round(first["peak_rss_mb"], 1),
        "leads_created": leads,
        "salesforce_leads_before": seeded_leads,
        **identity,
        "changed_contacts": changed,
        "incremental_wall_s": round(incremental["wall_s"], 2),
        "incremental_api_calls": total(incremental_calls),
        "incremental_api_calls_by_endpoint": incremental_calls,
        "noop_api_calls_by_system": {system: sum(per.values()) for system, per in noop_calls.items()},
        "steady_incremental_wall_s": round(steady["wall_s"], 2),
        "steady_incremental_api_calls": total(steady_calls),
        "steady_incremental_api_calls_by_endpoint": steady_calls,
    }


def benchmark_baseline(count: int, latency_ms: float, workdir: Path, world: str = "default") -> dict:
    from baseline import naive_handoff

    with SandboxProcess(workdir / "baseline") as sandbox:
        seed_world(sandbox, world, count)
        sandbox.set_latency(latency_ms)
        sandbox.reset_calls()
        started = time.monotonic()
        naive_handoff(sandbox, score_property=SCORE_PROPERTY, threshold=80)
        wall = time.monotonic() - started
        calls = sandbox.calls()
    return {
        "baseline_wall_s": round(wall, 2),
        "baseline_api_calls": total(calls),
        "baseline_api_calls_by_system": {system: sum(per.values()) for system, per in calls.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow per-record baseline")
    parser.add_argument("--world", choices=("default", "collisions"), default="default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revloop-bench-") as tmp:
        result = benchmark_revloop(args.contacts, args.latency_ms, Path(tmp), args.world)
        if not args.no_baseline:
            result.update(benchmark_baseline(args.contacts, args.latency_ms, Path(tmp), args.world))
    print_result(result, as_json=args.json)


if __name__ == "__main__":
    try:
        main()
    except requests.RequestException as exc:
        raise SystemExit(f"benchmark failed talking to the sandbox: {exc}") from None
