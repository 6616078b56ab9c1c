"""What moved where: per flow, how many records it wrote in each target object, and how.

A record counts for a flow when the flow made its link or has written it (a synced state of one of the
flow's stages). ``how`` is the link's status for links the flow made itself (``created``: revloop
created the target record; ``linked``: it matched an existing one; ``converted``), and ``updated`` for
links another flow made: the feedback updates the HubSpot contacts the handoff linked, it does not
create them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, case, func, or_, select

from connector.config import Config
from connector.state.tables import link_keys, links, sync_states

UPDATED = "updated"


@dataclass(frozen=True)
class Move:
    flow: str
    source: str
    target: str
    target_object: str
    how: str
    """created, linked or converted (the flow made the link), or updated (another flow made it)."""
    people: int
    """Records moved (people for the handoff and feedback; deals, companies, ... for won deals)."""


def moves(engine: Engine, config: Config) -> list[Move]:
    """Records per configured flow, target object and how (ordered by target object, then how)."""
    result = []
    with engine.connect() as connection:
        for name, flow in config.flows.items():
            for how, target_object, count in connection.execute(_moved(name, flow.target)):
                result.append(Move(name, flow.source, flow.target, target_object, how, count))
    return result


def _moved(flow: str, target_system: str):
    """Active target records of ``target_system`` on links ``flow`` made or wrote, counted by how."""
    target = link_keys.alias("target")
    written = select(sync_states.c.link_id).where(
        sync_states.c.direction.startswith(f"{flow}:", autoescape=True)
    )
    how = case(
        (or_(links.c.made_by == flow, links.c.made_by.is_(None)), links.c.status), else_=UPDATED
    ).label("how")
    return (
        select(how, target.c.object, func.count(func.distinct(links.c.id)))
        .join(target, target.c.link_id == links.c.id)
        .where(
            target.c.system == target_system,
            target.c.status == "active",
            or_(links.c.made_by == flow, links.c.id.in_(written)),
        )
        .group_by(how, target.c.object)
        .order_by(target.c.object, how)
    )
