"""Helpers for the feedback tests: people handed off to Salesforce, sales at work, the MA's owners.

Test modules import them (``from feedback_world import ...``); every helper takes the test's FlowEnv.
"""

from __future__ import annotations

from typing import Any

HOT = {"hubspotscore": "90"}
OWNERS = (
    {"email": "kenji.mori@example.com", "firstName": "Kenji", "lastName": "Mori"},
    {"email": "aiko.ueda@example.com", "firstName": "Aiko", "lastName": "Ueda"},
)
"""HubSpot owners with the emails of the Salesforce reps FlowEnv seeds."""


def hubspot_owners(env) -> dict[str, str]:
    """Seed the HubSpot owners; returns owner id by email."""
    ids = env.hs.seed({"owners": [dict(owner) for owner in OWNERS]})["owners"]
    return {owner["email"]: owner_id for owner, owner_id in zip(OWNERS, ids, strict=True)}


def handed_off(env, *people: dict[str, Any]) -> list[tuple[str, str]]:
    """HubSpot contacts that qualify, handed off by one handoff run: (contact id, Lead id) each."""
    contacts = env.contacts([{**HOT, **person} for person in people])
    outcome = env.run("handoff")
    assert outcome.status == "ok", outcome
    return [(contact, env.sf_by_ma_id("Lead", contact)[0]["Id"]) for contact in contacts]


def person(n: int, **extra: Any) -> dict[str, Any]:
    return {"email": f"person{n}@example.co.jp", "firstname": f"Taro{n}", "lastname": f"Yamada{n}",
            "company": f"Example {n} KK", **extra}  # fmt: skip


def sales_sets(env, obj: str, record_id: str, **fields: Any) -> None:
    """A salesperson edits a Salesforce record in the UI."""
    env.sf.touch(obj, record_id, fields)


def feedback(env, flow: str = "feedback"):
    outcome = env.run(flow)
    assert outcome.status in ("ok", "record_errors"), outcome
    return outcome


def with_mapping(env, flow: str, edit) -> None:
    """Point ``flow`` at a copy of its mapping changed by ``edit(text) -> text``."""
    mapping = env.config.flow(flow).mapping
    copy = env.config_path.parent / f"{flow}.toml"
    copy.write_text(edit(mapping.read_text(encoding="utf-8")), encoding="utf-8")
    config = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(config.replace(f'"{mapping}"', f'"{copy}"'), encoding="utf-8")


WRITE_ENDPOINTS = frozenset(
    {"composite.sobjects", "batch.update", "batch.upsert", "leads.write", "lists.add", "lists.remove",
     "lists.memberships.add", "lists.memberships.remove", "lists.create"}
)  # fmt: skip
"""Guard endpoints that write (every adapter names its calls; reads are all the others)."""


def writes(outcome) -> int:
    """Write calls a run made, over every system."""
    return sum(n for calls in outcome.api_calls.values() for e, n in calls.items() if e in WRITE_ENDPOINTS)
