"""The labelled identity set through the engine: no wrong merge, every case's outcome, the targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from identity_set import LABELS, Result, load_cases, run_cases, score

from connector.state import open_store

CASES = load_cases()
ROOT = Path(__file__).resolve().parents[2]
REQUIRED_CATEGORIES = {
    "email_case_whitespace", "invisible_characters", "full_width", "display_name", "legal_forms",
    "phone_formats", "switchboard_phones", "role_addresses", "placeholders", "same_name_same_company",
    "same_name_other_company", "plus_addressing", "typo_local_part", "typo_domain", "kanji_variants",
    "name_order_script", "domain_change", "job_change", "missing_data", "exact_duplicates", "homoglyphs",
}  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Result]:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('identity') / 'state.db'}")
    try:
        return {result.case.id: result for result in run_cases(engine, CASES)}
    finally:
        engine.dispose()


def test_the_set_is_large_labelled_and_covers_every_category():
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.label for case in CASES} == set(LABELS)
    assert {case.category for case in CASES} >= REQUIRED_CATEGORIES
    for case in CASES:
        ids = [record["id"] for record in case.targets]
        assert len(set(ids)) == len(ids), case.id
        assert (case.expect in ids) if case.label != "different" else case.expect is None, case.id


def test_no_case_links_two_different_people(results):
    assert [r.case.id for r in results.values() if r.wrong_merge] == []


@pytest.mark.parametrize("case", [c for c in CASES if not c.unsolved], ids=lambda c: f"{c.id}-{c.category}")
def test_each_case_gets_its_labelled_outcome(results, case):
    result = results[case.id]
    assert result.correct, f"{case.label}: {result.decision.explanation} ({case.note})"


@pytest.mark.parametrize("case", [c for c in CASES if c.unsolved], ids=lambda c: c.id)
def test_unsolved_cases_fail_safe_and_are_still_unsolved(results, case):
    """A knowingly unsolved case never links the wrong person; once solved, drop its marker."""
    result = results[case.id]
    assert not result.wrong_merge
    assert not result.correct, f"{case.id} is solved now: remove its `unsolved` marker"


def test_targets_are_met(results):
    overall = score(list(results.values()))["overall"]
    assert overall["wrong_merges"] == 0
    assert overall["auto_recall"] >= 0.95
    assert overall["review_recall"] >= 0.90
    assert overall["precision"] == 1.0


def test_explanations_name_ids_and_evidence_never_personal_data(results):
    for result in results.values():
        source = result.case.source
        for value in filter(None, (source.get("email"), source.get("last"), source.get("first"))):
            assert value.strip() not in result.decision.explanation, result.case.id


def test_the_benchmark_reports_the_same_scores(results):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "identity.py"), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    reported = json.loads(completed.stdout)
    assert reported == score(list(results.values()))
    assert set(reported["categories"]) >= REQUIRED_CATEGORIES
