"""What every flow kind implements, and the typed context a flow runs in.

A flow kind is a class implementing :class:`Flow`, in its own folder under ``connector/flows/`` and
registered in ``connector/flows/__init__.py``. The runner builds a :class:`RunContext` (the flow's
systems by role, the state store, the run row) and calls :meth:`Flow.run`; the CLI previews and checks
flows through the same protocol, so no command names a kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from sqlalchemy import Engine

from connector.config import Config, FlowSettings
from connector.mapping.spec import MappingSpec
from connector.systems.base import System


@dataclass
class FlowSetup:
    """A configured flow and its systems, without a state store: enough to check it against live schemas.

    ``systems`` are keyed by role (``source``, ``target``; a kind may declare more roles). Two roles
    configured with the same system share one adapter, so its calls and daily budget are counted once.
    """

    config: Config
    flow: str
    settings: FlowSettings
    systems: Mapping[str, System]

    @property
    def source(self) -> System:
        return self.systems["source"]

    @property
    def target(self) -> System:
        return self.systems["target"]

    def api_calls(self) -> dict[str, dict[str, int]]:
        """Calls made so far, per system and endpoint."""
        calls: dict[str, Counter[str]] = {}
        for system in {id(s): s for s in self.systems.values()}.values():
            calls.setdefault(system.name, Counter()).update(system.guard.calls)
        return {name: dict(counter) for name, counter in calls.items()}


@dataclass
class RunContext(FlowSetup):
    """What a flow gets for one run; flows never build systems or open stores themselves.

    ``run_id`` 0 and a fresh ``owner`` are a dry run (a preview) that records no run row.
    """

    engine: Engine = field(kw_only=True)
    run_id: int = field(kw_only=True)
    owner: str = field(kw_only=True)
    counts: Counter[str] = field(default_factory=Counter, kw_only=True)


@dataclass(frozen=True)
class PreviewItem:
    """What the next run would do with one source record."""

    source_id: str
    action: str  # e.g. "create Lead", "update Lead 00Q…", "unchanged", "error"
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (now, would be)
    note: str = ""


@dataclass
class Preview:
    items: list[PreviewItem]
    read_calls: dict[str, int]  # calls the preview itself made, per system
    estimated_calls: dict[str, int]  # calls a run would spend on these records, per system
    more: bool  # the source had more changes than the limit


@runtime_checkable
class Flow(Protocol):
    """One flow kind. The class is registered; an instance does one run (or one preview).

    Class attributes and class methods need no state store or run: ``kind`` is the registry name,
    ``counters`` the counts a run reports, most telling first (reports show them in this order),
    ``mapping_spec`` the model of its mapping files.
    """

    kind: ClassVar[str]
    counters: ClassVar[tuple[str, ...]]
    mapping_spec: ClassVar[type[MappingSpec]]
    """The kind's mapping file format: the shared core plus the kind's own sections."""

    def __init__(self, ctx: RunContext) -> None: ...

    @classmethod
    def check_config(cls, config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
        """Problems of this kind's flows found offline (``flows``: every configured flow of this kind)."""
        ...

    @classmethod
    def check_schemas(cls, setup: FlowSetup) -> list[str]:
        """Problems of the flow's mapping against the systems' live schemas (describe / properties)."""
        ...

    def run(self) -> None:
        """One cycle: read changes, write them, record the outcome in the state store."""
        ...

    def preview(self, limit: int) -> Preview:
        """What a run would do with the next ``limit`` changed records, writing nothing to any system."""
        ...
