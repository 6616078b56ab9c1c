"""Helpers for the won-deals flow tests: seed won business into the Salesforce fake, read the CRM back,
and run the flow with a variant of the shipped mapping."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from connector.demo.sales import Person, Sale, salesforce_sales
from connector.demo.sandbox_config import shipped_mappings_dir

SHIPPED = shipped_mappings_dir() / "won_deals" / "salesforce__hubspot.toml"
FLOW = "won_deals"

ACME = Sale(
    "Acme - Pro",
    "株式会社アクメ",
    "https://www.acme.example.jp/about",
    lines=(("RL-PRO", 2), ("RL-OPT-JA", 1)),
    people=(Person("太郎", "山田", "taro@acme.example.jp"),),
)
GLOBEX = Sale(
    "Globex - Basic",
    "Globex Inc.",
    currency="USD",
    lines=(("RL-BASIC", 3),),
    people=(Person("Olivia", "Brown", "olivia@globex.example.com", "Economic Buyer"),),
)
OPEN = Sale("Initech - Pro", "Initech LLC", stage="Negotiation/Review")


def seed(env, *sales: Sale, **options: Any) -> dict[str, list[str]]:
    """Seed ``sales`` into the Salesforce fake; returns the new ids per object."""
    data = {obj: rows for obj, rows in salesforce_sales(sales, **options).items() if rows}
    return env.sf.seed(data)


def records(env, obj: str) -> list[dict[str, str]]:
    """Live CRM records of ``obj`` (properties with their id)."""
    with env.hs.lock:
        table = env.hs.portal.table(obj)
        return [dict(record.properties) for record in table.scan()]


def by(env, obj: str, prop: str) -> dict[str, dict[str, str]]:
    return {row[prop]: row for row in records(env, obj) if row.get(prop)}


def deals(env) -> dict[str, dict[str, str]]:
    """CRM deals by the opportunity id they hold."""
    return by(env, "deals", "revloop_salesforce_opportunity_id")


def linked(env, from_type: str, from_id: str, to_type: str) -> set[str]:
    """Ids of the live ``to_type`` records associated with one record."""
    with env.hs.lock:
        target = env.hs.portal.table(to_type)
        edges = env.hs.associations.targets(env.hs.portal.table(from_type).name, int(from_id), target.name)
        return {str(i) for i in edges if target.live(i) is not None}


WRITES = (
    "batch_create", "batch_update", "batch_upsert", "batch_archive", "create_object", "update_object",
    "archive_object", "associations_create", "associations_default", "associations_archive",
)  # fmt: skip


def crm_writes(env) -> int:
    """HubSpot calls that write (upserts, updates, archives, associations) since the calls were reset."""
    return sum(env.hs.calls.get(endpoint, 0) for endpoint in WRITES)


def use_mapping(env, directory: Path, replacements: Iterable[tuple[str, str]] = ()) -> Path:
    """Point the won_deals flow at a copy of the shipped mapping with ``replacements`` (old, new) applied."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "won_deals.toml"
    path.write_text(text, encoding="utf-8")
    config = env.config_path.read_text(encoding="utf-8")
    assert str(SHIPPED) in config
    env.config_path.write_text(config.replace(str(SHIPPED), str(path)), encoding="utf-8")
    return path
