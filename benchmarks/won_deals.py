"""Benchmark: won deals (SFA → CRM) against the sandbox, side by side with the naive per-record script.

    python benchmarks/won_deals.py --opportunities 2000 --latency-ms 20 [--json] [--no-baseline]

What it does, with the fakes in their own `revloop sandbox` process (so revloop's memory is measured
alone) and `latency-ms` added to every API call:
1. seeds N won opportunities (3 line items each, 1 or 2 people each, three quarters as many Accounts
   as opportunities, won a minute apart, weeks ago) into an empty sandbox; the CRM starts empty;
2. first run: `revloop run won_deals` as a subprocess (wall time, peak RSS from its VmHWM, API calls by
   endpoint from the fakes' own counters);
3. sales change 1% of the opportunities (a line item's quantity each, through the sandbox's control API,
   not counted), then an incremental run; then a run with no changes at all; then another 1% change and
   a steady-state incremental run;
4. the baseline in a second, fresh sandbox: the script a RevOps engineer would write by hand (see
   benchmarks/won_deals_baseline.py).

``min_api_calls`` is the batching minimum for the first run: one token; every object read once at the
maximum page size (Salesforce 2,000 records: opportunities, line items, contact roles; the CRM's
companies 200); one describe per CRM object upserted on a property it declares unique (companies,
products, deals, line items: HubSpot's contacts take email without one); what the CRM holds of the
people, read 100 a call, because the shipped mapping only fills their names where the CRM has none;
writes at the maximum batch size (HubSpot 100): companies, products read and created, deals, line
items, people; and associations batched 100 a call: deal → company, line item → deal, deal → person.
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
from measure import print_result, run_revloop, total
from sandbox_process import SandboxProcess

from connector.demo.sales import PRODUCTS, Person, Sale, salesforce_sales

LINES = 3
MODIFIED = "2026-10-01T09:00:00.000+0000"


def sales(count: int) -> list[Sale]:
    """Won opportunities with 3 line items each, one or two people, three quarters as many Accounts."""
    accounts = max(1, count * 3 // 4)
    codes = sorted(PRODUCTS)
    found = []
    for index in range(count):
        account = index % accounts
        japanese = account % 2 == 0
        name = f"株式会社ベンチ{account}" if japanese else f"Bench {account} Inc."
        people = tuple(
            Person("太郎" if japanese else "Emma", f"山田{index}" if japanese else f"Smith{index}",
                   f"buyer{index}.{n}@bench{account}.example.jp")
            for n in range(1 + index % 2)
        )  # fmt: skip
        lines = tuple((codes[(index + n) % len(codes)], 1 + (index + n) % 4) for n in range(LINES))
        currency = "USD" if index % 5 == 0 else "JPY"
        website = f"https://www.bench{account}.example.jp/"
        found.append(Sale(f"{name} - {index}", name, website, currency=currency, lines=lines, people=people))
    return found


def min_api_calls(count: int) -> int:
    """The batching minimum of a first run (see the module docstring)."""
    people = sum(1 + index % 2 for index in range(count))
    lines, companies = count * LINES, max(1, count * 3 // 4)
    reads = 1 + math.ceil(count / 2000) + math.ceil(lines / 2000) + math.ceil(people / 2000) + 1 + 4
    reads += math.ceil(people / 100)
    writes = sum(math.ceil(n / 100) for n in (companies, len(PRODUCTS), len(PRODUCTS), count, lines, people))
    associations = sum(math.ceil(n / 100) for n in (count, lines, people))
    return reads + writes + associations


def seed(sandbox: SandboxProcess, count: int) -> list[dict]:
    """Seed the won business; returns the line items (to change some later)."""
    data = salesforce_sales(sales(count), modified=MODIFIED, spread_s=60)
    sandbox.seed("salesforce", data)
    return data["OpportunityLineItem"]


def change_one_percent(sandbox: SandboxProcess, lines: list[dict], offset: int) -> int:
    """Sales change the quantity of one line item in 1% of the opportunities (the Amount rolls up)."""
    changed = lines[offset :: LINES * 100][: max(1, len(lines) // LINES // 100)]
    session = sandbox.session()
    for line in changed:
        fields = {"Quantity": line["Quantity"] + 5}
        body = {"object": "OpportunityLineItem", "id": line["Id"], "fields": fields}
        url = f"{sandbox.urls['salesforce']}/__sandbox__/salesforce/touch"
        response = session.post(url, json=body, timeout=60)
        response.raise_for_status()
    return len(changed)


def benchmark_revloop(count: int, latency_ms: float, workdir: Path) -> dict:
    with SandboxProcess(workdir / "revloop") as sandbox:
        lines = seed(sandbox, count)
        sandbox.set_latency(latency_ms)
        sandbox.reset_calls()
        first = run_revloop(sandbox.config, "won_deals")
        first_calls = sandbox.calls()
        changed = change_one_percent(sandbox, lines, 0)
        sandbox.reset_calls()
        incremental = run_revloop(sandbox.config, "won_deals")
        incremental_calls = sandbox.calls()
        sandbox.reset_calls()
        run_revloop(sandbox.config, "won_deals")
        noop_calls = sandbox.calls()
        change_one_percent(sandbox, lines, 1)
        sandbox.reset_calls()
        steady = run_revloop(sandbox.config, "won_deals")
        steady_calls = sandbox.calls()
    return {
        "opportunities": count,
        "line_items": count * LINES,
        "latency_ms": latency_ms,
        "wall_s": round(first["wall_s"], 2),
        "api_calls": total(first_calls),
        "api_calls_by_endpoint": first_calls,
        "min_api_calls": min_api_calls(count),
        "opportunities_per_s": round(count / first["wall_s"], 1),
        "peak_rss_mb": round(first["peak_rss_mb"], 1),
        "changed_opportunities": changed,
        "incremental_wall_s": round(incremental["wall_s"], 2),
        "incremental_api_calls": total(incremental_calls),
        "incremental_api_calls_by_endpoint": incremental_calls,
        "noop_api_calls_by_endpoint": noop_calls,
        "noop_api_calls": total(noop_calls),
        "steady_incremental_wall_s": round(steady["wall_s"], 2),
        "steady_incremental_api_calls": total(steady_calls),
        "steady_incremental_api_calls_by_endpoint": steady_calls,
    }


def benchmark_baseline(count: int, latency_ms: float, workdir: Path) -> dict:
    from won_deals_baseline import naive_won_deals

    with SandboxProcess(workdir / "baseline") as sandbox:
        seed(sandbox, count)
        sandbox.set_latency(latency_ms)
        sandbox.reset_calls()
        started = time.monotonic()
        naive_won_deals(sandbox)
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
    parser.add_argument("--opportunities", type=int, default=2_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow per-record baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revloop-bench-") as tmp:
        result = benchmark_revloop(args.opportunities, args.latency_ms, Path(tmp))
        if not args.no_baseline:
            result.update(benchmark_baseline(args.opportunities, args.latency_ms, Path(tmp)))
    print_result(result, as_json=args.json)


if __name__ == "__main__":
    try:
        main()
    except requests.RequestException as exc:
        raise SystemExit(f"benchmark failed talking to the sandbox: {exc}") from None
