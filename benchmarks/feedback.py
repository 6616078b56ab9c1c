"""Benchmark: the feedback (Salesforce → HubSpot) against the sandbox, beside the naive per-record script.

    python benchmarks/feedback.py --leads 10000 --latency-ms 20 [--json] [--no-baseline]

With every fake in its own `revloop sandbox` process (so revloop's memory is measured alone) and
``latency-ms`` added to every API call:
1. setup, not measured: N qualifying HubSpot contacts, two sales reps (Salesforce users and HubSpot owners
   with the same emails), one `revloop run handoff` (N Leads, every person linked) and a first
   `revloop run feedback` (the first load: the N new Leads);
2. sales works every Lead (status and owner change, sObject Collections updates, not counted), then the
   measured `revloop run feedback` over N changed Leads: API calls by endpoint from the fakes' own
   counters, wall time, peak RSS of the revloop process (its VmHWM);
3. 1% of the Leads change again: an incremental run; then a run with nothing changed;
4. the baseline: sales works every Lead again, and the naive script (benchmarks/feedback_baseline.py)
   carries the changes over, one HubSpot read by email and one update per Lead.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import salesforce_client
from feedback_baseline import lead_ids, naive_feedback, sales_update
from measure import print_result, run_revloop, total
from sandbox_process import SandboxProcess

REPS = ({"LastName": "Mori", "FirstName": "Kenji", "Email": "kenji.mori@example.com"},
        {"LastName": "Ueda", "FirstName": "Aiko", "Email": "aiko.ueda@example.com"})  # fmt: skip
STREAMS = 4  # Lead, Contact, Opportunity, OpportunityContactRole
MIN_FORMULA = (
    "Salesforce: 1 token + ceil(N/2000) Lead pages + 1 page each for Contact, Opportunity and "
    "OpportunityContactRole + 1 User query for the owners' emails; HubSpot: 1 owners page + ceil(N/100) "
    "batch reads of the current lifecycle stage (forward-only) + ceil(N/100) batch updates"
)


def min_api_calls(changed: int) -> int:
    """The batching minimum of a feedback run over ``changed`` linked, unconverted Leads (MIN_FORMULA)."""
    salesforce = 1 + math.ceil(changed / 2000) + (STREAMS - 1) + 1
    hubspot = 1 + 2 * math.ceil(changed / 100)
    return salesforce + hubspot


def seed_world(sandbox: SandboxProcess, count: int, chunk: int = 5_000) -> None:
    """Qualifying HubSpot contacts (modified days ago) and the reps, in chunks kept out of this process."""
    sandbox.seed("salesforce", {"User": [dict(rep) for rep in REPS]})
    sandbox.seed("hubspot", {"owners": [{"email": r["Email"], "lastName": r["LastName"]} for r in REPS]})
    for start in range(0, count, chunk):
        contacts = [
            {"properties": {"email": f"person{n}@bench{n % 97}.example.jp", "lastname": f"山田{n}",
                            "firstname": "太郎", "company": f"株式会社ベンチ{n % 500}", "hubspotscore": "90"},
             "updatedAt": "2026-11-20T09:00:00.000Z"}
            for n in range(start, min(count, start + chunk))
        ]  # fmt: skip
        sandbox.seed("hubspot", {"contacts": contacts})


def measured(sandbox: SandboxProcess, flow: str = "feedback") -> tuple[dict, dict[str, dict[str, int]]]:
    sandbox.reset_calls()
    result = run_revloop(sandbox.config, flow)
    return result, sandbox.calls()


def benchmark(count: int, latency_ms: float, workdir: Path, *, baseline: bool) -> dict:
    with SandboxProcess(workdir / "sandbox") as sandbox:
        seed_world(sandbox, count)
        run_revloop(sandbox.config, "handoff")
        sandbox.set_latency(latency_ms)
        first_load, first_load_calls = measured(sandbox)
        ids = lead_ids(sandbox)
        rep_ids = _user_ids(sandbox)
        sales_update(sandbox, ids, {"Status": "Working - Contacted", "OwnerId": rep_ids[0]})
        changed, changed_calls = measured(sandbox)
        sales_update(sandbox, ids[: max(1, count // 100)], {"OwnerId": rep_ids[1]})
        incremental, incremental_calls = measured(sandbox)
        _noop, noop_calls = measured(sandbox)
        result = {
            "leads": count,
            "latency_ms": latency_ms,
            "api_calls": total(changed_calls),
            "min_api_calls": min_api_calls(count),
            "min_api_calls_formula": MIN_FORMULA,
            "api_calls_by_endpoint": changed_calls,
            "wall_s": round(changed["wall_s"], 2),
            "peak_rss_mb": round(changed["peak_rss_mb"], 1),
            "first_load_api_calls": total(first_load_calls),
            "first_load_api_calls_by_endpoint": first_load_calls,
            "first_load_wall_s": round(first_load["wall_s"], 2),
            "first_load_peak_rss_mb": round(first_load["peak_rss_mb"], 1),
            "incremental_leads": max(1, count // 100),
            "incremental_api_calls": total(incremental_calls),
            "incremental_api_calls_by_endpoint": incremental_calls,
            "incremental_wall_s": round(incremental["wall_s"], 2),
            "noop_api_calls": total(noop_calls),
            "noop_api_calls_by_endpoint": noop_calls,
        }
        if baseline:
            result.update(_baseline(sandbox, ids))
    return result


def _user_ids(sandbox: SandboxProcess) -> list[str]:
    emails = tuple(rep["Email"] for rep in REPS)
    rows = salesforce_client(sandbox).query_all_iter("SELECT Id, Email FROM User ORDER BY Id")
    return [row["Id"] for row in rows if row["Email"] in emails]


def _baseline(sandbox: SandboxProcess, ids: list[str]) -> dict:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)  # Salesforce stamps have one-second precision
    sales_update(sandbox, ids, {"Status": "Open - Not Contacted"})
    sandbox.reset_calls()
    started = time.monotonic()
    naive_feedback(sandbox, since)
    wall = time.monotonic() - started
    return {"baseline_api_calls": total(sandbox.calls()), "baseline_wall_s": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow per-record baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revloop-bench-") as tmp:
        result = benchmark(args.leads, args.latency_ms, Path(tmp), baseline=not args.no_baseline)
    print_result(result, as_json=args.json)


if __name__ == "__main__":
    try:
        main()
    except requests.RequestException as exc:
        raise SystemExit(f"benchmark failed talking to the sandbox: {exc}") from None
