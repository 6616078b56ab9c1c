"""The Marketo handoff's first run hands off leads older than any activity window (initial load), later
runs go on from the activity log, and a load killed half-way resumes without loss or duplicates."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from connector.flows.crashpoints import ENV as CRASH_ENV

FLOW = "marketo_handoff"
LIST_ID = 4242


def old_leads(env, count: int, *, hot_every: int = 2) -> tuple[list[int], set[int]]:
    """Leads created in 2024 and untouched since; every ``hot_every``-th has a qualifying score."""
    rows = [
        {
            "email": f"old.lead{n}@example.jp", "firstName": f"Old{n}", "lastName": "Lead",
            "company": f"Company {n % 17}", "leadScore": 90 if n % hot_every == 0 else 20,
            "createdAt": f"2024-{1 + n % 12:02d}-{1 + n % 27:02d}T09:00:00Z",
            "updatedAt": "2024-12-30T00:00:00Z",
        }
        for n in range(count)
    ]  # fmt: skip
    ids = env.mk.seed({"leads": rows})["leads"]
    return ids, {lead_id for n, lead_id in enumerate(ids) if n % hot_every == 0}


def in_a_list(env, ids: list[int]) -> None:
    env.mk.seed({"lists": [{"id": LIST_ID, "name": "MQL candidates"}], "list_members": {str(LIST_ID): ids}})


def handed_off(env) -> dict[str, int]:
    return {key: n for key, n in env.creates().items() if key.startswith("mkto-")}


def marketo_reads(outcome) -> dict[str, int]:
    skip = ("identity.token", "leads.write")
    return {endpoint: n for endpoint, n in outcome.api_calls["marketo"].items() if endpoint not in skip}


def test_the_activity_log_alone_never_sees_old_qualified_leads(env) -> None:
    _, hot = old_leads(env, 6)

    outcome = env.run(FLOW)

    assert outcome.status == "ok" and hot and handed_off(env) == {}


def test_a_static_list_hands_off_old_qualified_leads_on_the_first_run(env) -> None:
    ids, hot = old_leads(env, 320)
    in_a_list(env, ids)
    [fresh] = env.mk.seed({"leads": [{"email": "fresh@example.jp", "lastName": "Fresh", "leadScore": 95}]})[
        "leads"
    ]
    env.configure("marketo", initial_load="list", initial_list_id=LIST_ID)

    first = env.run(FLOW)

    assert first.status == "ok", first
    assert handed_off(env) == {f"mkto-{lead_id}": 1 for lead_id in {*hot, fresh}}
    assert marketo_reads(first)["lists.members"] == math.ceil(320 / 300)
    assert first.counts["not_qualified"] >= 320 - len(hot)
    (lead,) = env.sf_by_ma_id("Lead", f"mkto-{min(hot)}")
    assert lead["Description"].startswith("Qualified: score 90 ≥ 80")

    env.run(FLOW)  # reads the writeback's own changes, writes nothing
    third = env.run(FLOW)
    assert marketo_reads(third) == {"activities": 1}  # the activity log from its cursor, no list again
    assert third.counts.get("created", 0) == 0


def test_bulk_extract_hands_off_old_qualified_leads_and_then_reads_activities(env) -> None:
    _, hot = old_leads(env, 40)
    env.configure("marketo", initial_load="bulk_extract", initial_load_since="2024-01-01")

    first = env.run(FLOW)

    assert first.status == "ok", first
    assert handed_off(env) == {f"mkto-{lead_id}": 1 for lead_id in hot}
    reads = marketo_reads(first)
    windows = sorted(job.filter_value for job in env.mk.exports.jobs.values())  # (start, end) in epoch s
    assert windows[0][0] == datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    assert all(later[0] == earlier[1] for earlier, later in pairwise(windows))  # no gap between windows
    assert all(end - start <= 31 * 86400 for start, end in windows)
    assert datetime.now(UTC).timestamp() - windows[-1][1] < 300  # up to the moment the load started
    assert reads["leads.export.create"] == reads["leads.export.enqueue"] == reads["leads.export.file"]
    assert reads["leads.export.create"] == len(windows)
    assert reads["leads.export.status"] == 2 * len(windows) and reads["leads.describe"] == 1

    env.run(FLOW)
    env.mk.touch(min(hot), {"title": "VP Sales"})  # an edit after the load comes from the activity log
    later = env.run(FLOW)
    assert set(marketo_reads(later)) <= {"activities", "leads.read"}
    assert later.counts["updated"] == 1
    assert env.sf_by_ma_id("Lead", f"mkto-{min(hot)}")[0]["Title"] == "VP Sales"


def run_killed(env, crash_at: str) -> subprocess.CompletedProcess:
    """`revloop run marketo_handoff` in its own process, SIGKILLed at ``crash_at``."""
    command = [sys.executable, "-m", "connector", "--config", str(env.config_path), "run", FLOW]
    environment = {**os.environ, CRASH_ENV: crash_at}
    result = subprocess.run(
        command, check=False, env=environment, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    return result


@pytest.mark.parametrize("crash_at", ["after_accept:2", "after_accept:3"])
def test_a_static_list_load_killed_half_way_resumes_without_loss_or_duplicates(env, crash_at) -> None:
    ids, hot = old_leads(env, 700)
    in_a_list(env, ids)
    env.configure("marketo", initial_load="list", initial_list_id=LIST_ID)

    run_killed(env, crash_at)
    env.mk.reset_calls()
    resumed = env.run(FLOW)

    assert resumed.status == "ok", resumed
    assert handed_off(env) == {f"mkto-{lead_id}": 1 for lead_id in hot}
    accepted = int(crash_at.rpartition(":")[2])
    assert env.mk.calls["list_leads"] == math.ceil(700 / 300) - accepted  # only the pages not accepted


def test_a_bulk_load_killed_inside_a_file_reuses_its_export_job(env) -> None:
    _, hot = old_leads(env, 700, hot_every=3)
    env.mk.seed({"leads": [{"email": f"jan{n}@example.jp", "lastName": "Jan", "leadScore": 99,
                            "createdAt": "2024-01-10T00:00:00Z"} for n in range(650)]})  # fmt: skip
    env.configure("marketo", initial_load="bulk_extract", initial_load_since="2024-01-01")

    run_killed(env, "after_accept:3")  # the job of the first window, then two pages of its file
    assert len(env.mk.exports.jobs) == 1
    resumed = env.run(FLOW)

    assert resumed.status == "ok", resumed
    qualified = [
        lead_id for lead_id, lead in env.mk.store.leads.items() if (lead.get("leadScore") or 0) >= 80
    ]
    assert len(qualified) == len(hot) + 650
    assert handed_off(env) == {f"mkto-{lead_id}": 1 for lead_id in qualified}
    windows = [job.filter_value for job in env.mk.exports.jobs.values()]
    assert len(windows) == len(set(windows)), "a window was exported twice"


def test_a_preview_starts_no_export_job_and_says_the_first_run_loads_more(env, caplog) -> None:
    old_leads(env, 40)
    env.configure("marketo", initial_load="bulk_extract", initial_load_since="2024-01-01")

    result = env.cli("mappings", "preview", FLOW, "--limit", "5")

    assert result.code == 0, result
    assert env.mk.exports.jobs == {}  # a preview never starts work on Marketo's side
    assert "initial_load = bulk_extract" in caplog.text or "initial_load = bulk_extract" in result.stderr
    assert env.run(FLOW).counts["created"] > 0  # the real first run still loads them
