"""What moved where: per flow, how many people revloop created, linked or converted in each target object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from connector.config import Config
from connector.state.tables import link_keys, links


@dataclass(frozen=True)
class Move:
    flow: str
    source: str
    target: str
    target_object: str
    how: str
    """How the link came about: created (revloop created the target record), linked or converted."""
    people: int


def moves(engine: Engine, config: Config) -> list[Move]:
    """Linked people per configured flow, target object and link status (target object, then status)."""
    result = []
    with engine.connect() as connection:
        for name, flow in config.flows.items():
            for how, target_object, count in connection.execute(_linked(flow.source, flow.target)):
                result.append(Move(name, flow.source, flow.target, target_object, how, count))
    return result


def _linked(source_system: str, target_system: str):
    """Links between the two systems whose target record is active, counted by status and object."""
    source, target = link_keys.alias("source"), link_keys.alias("target")
    return (
        select(links.c.status, target.c.object, func.count(func.distinct(links.c.id)))
        .join(source, source.c.link_id == links.c.id)
        .join(target, target.c.link_id == links.c.id)
        .where(
            source.c.system == source_system, target.c.system == target_system, target.c.status == "active"
        )
        .group_by(links.c.status, target.c.object)
        .order_by(target.c.object, links.c.status)
    )
