"""The labelled identity set (tests/data/identity_cases.toml): load it, run it through the engine, score it.

Each case is run as the handoff planner runs a person: the target world goes into a real identity index
(one ``system`` per case, in one SQLite store) through the mirror's entry builder; candidates are what
the index lookups by :func:`~connector.matching.lookup_keys` find (capped per key); shared phones come
from the index; the engine decides. Used by tests/matching/test_identity_set.py and
benchmarks/identity.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from connector.flows.identity_mirror import candidate_of, person_entry
from connector.matching import (
    DEFAULT_SETTINGS,
    IdentityDecision,
    MatchSettings,
    Outcome,
    decide_identity,
    lookup_keys,
    person,
)
from connector.state import identity

CASES = Path(__file__).resolve().parents[1] / "data" / "identity_cases.toml"
LABELS = ("auto", "review", "different")
PEOPLE = ("Lead", "Contact")
REGION = "JP"
_EXPECTED = {"auto": Outcome.LINK, "review": Outcome.REVIEW, "different": Outcome.CREATE}


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    label: str
    source: Mapping[str, str]
    targets: tuple[Mapping[str, Any], ...]
    expect: str | None  # the target record that is the same person (auto and review cases)
    unsolved: str = ""  # why the engine knowingly gets this case wrong (it must still not merge wrongly)
    note: str = ""


@dataclass(frozen=True)
class Result:
    case: Case
    decision: IdentityDecision
    expected_person: str | None = None

    @property
    def linked_person(self) -> str | None:
        chosen = self.decision.candidate
        return chosen.person_id if self.decision.kind is Outcome.LINK and chosen else None

    @property
    def wrong_merge(self) -> bool:
        """Linked to a record of another person (a ``different`` case linked at all is one)."""
        return self.linked_person is not None and self.linked_person != self.expected_person

    @property
    def correct(self) -> bool:
        if self.decision.kind is not _EXPECTED[self.case.label]:
            return False
        if self.case.label == "auto":
            return self.linked_person == self.expected_person
        if self.case.label == "review":
            return self.expected_person in {c.person_id for c in self.decision.candidates}
        return True


def load_cases(path: Path = CASES) -> list[Case]:
    """The cases; a case's targets are its own records plus those of the world it names."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    worlds = {name: tuple(world["records"]) for name, world in data.get("world", {}).items()}
    cases = []
    for raw in data["case"]:
        targets = (*worlds.get(raw.get("world", ""), ()), *raw.get("targets", ()))
        cases.append(
            Case(
                id=raw["id"],
                category=raw["category"],
                label=raw["label"],
                source=raw.get("source", {}),
                targets=targets,
                expect=raw.get("expect"),
                unsolved=raw.get("unsolved", ""),
                note=raw.get("note", ""),
            )
        )
    return cases


def run_cases(
    engine: Engine, cases: Iterable[Case], settings: MatchSettings = DEFAULT_SETTINGS
) -> list[Result]:
    """Decide every case against its own world in the store behind ``engine`` (a migrated state store)."""
    return [_run(engine, case, settings) for case in cases]


def _run(engine: Engine, case: Case, settings: MatchSettings) -> Result:
    system = f"case:{case.id}"
    with engine.begin() as connection:
        identity.save(connection, [_entry(system, record) for record in case.targets])
        source = person(**_raw(case.source), region=REGION, settings=settings)
        keys = {case.id: lookup_keys(source, settings)}
        found = identity.find(connection, system, keys, PEOPLE, cap=settings.candidates_per_key)
        shared = identity.shared_phones(connection, system, [source.phone], PEOPLE)
    candidates = [candidate_of(entry, settings) for entry in found[case.id]]
    decision = decide_identity(source, candidates, settings=settings, shared_phones=shared)
    return Result(case, decision, _person_id(case))


def _entry(system: str, record: Mapping[str, Any]) -> identity.IndexEntry:
    obj = record.get("object", "Lead")
    fields = {
        "Email": record.get("email"),
        "FirstName": record.get("first"),
        "LastName": record.get("last"),
        "Phone": record.get("phone"),
        "IsConverted": bool(record.get("converted_to")),
        "ConvertedContactId": record.get("converted_to"),
        "AccountId": record.get("account"),
    }
    return person_entry(system, obj, record["id"], fields, region=REGION, company=record.get("company"))


_ARGUMENTS = {
    "email": "email",
    "first": "first_name",
    "last": "last_name",
    "company": "company",
    "phone": "phone",
}


def _raw(source: Mapping[str, str]) -> dict[str, str | None]:
    return {argument: source.get(key) for key, argument in _ARGUMENTS.items()}


def _person_id(case: Case) -> str | None:
    for record in case.targets:
        if record["id"] == case.expect:
            return record.get("converted_to") or record["id"]
    return None


# ---- scoring


@dataclass
class Score:
    cases: int = 0
    wrong_merges: int = 0
    links: int = 0
    correct_links: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))

    def add(self, result: Result) -> None:
        label = result.case.label
        self.cases += 1
        self.counts[label] += 1
        self.hits[label] += result.correct
        self.wrong_merges += result.wrong_merge
        if result.linked_person is not None:
            self.links += 1
            self.correct_links += not result.wrong_merge

    def as_dict(self) -> dict[str, Any]:
        """cases; wrong_merges (links to another person's record); auto_recall (auto cases linked to the
        right record); review_recall (review cases sent to review with the right record among the
        candidates: not linked, not created); create_recall (different cases created); precision (of all
        links, the fraction to the same person). A rate is None where its denominator is 0."""
        return {
            "cases": self.cases,
            "wrong_merges": self.wrong_merges,
            "auto_recall": _rate(self.hits["auto"], self.counts["auto"]),
            "review_recall": _rate(self.hits["review"], self.counts["review"]),
            "create_recall": _rate(self.hits["different"], self.counts["different"]),
            "precision": _rate(self.correct_links, self.links),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(results: Sequence[Result]) -> dict[str, Any]:
    """Scores overall and per category: {"overall": {...}, "categories": {category: {...}}}."""
    overall, by_category = Score(), {}
    for result in results:
        overall.add(result)
        by_category.setdefault(result.case.category, Score()).add(result)
    return {
        "overall": overall.as_dict(),
        "categories": {name: s.as_dict() for name, s in sorted(by_category.items())},
    }


def failures(results: Iterable[Result]) -> Iterator[Result]:
    """Results whose outcome is not the label's (unsolved cases included)."""
    return (r for r in results if not r.correct)
