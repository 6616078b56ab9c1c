"""Conflict rules: whose edits win, and which mapped values may be written now, given what is there.

``source_wins`` / ``target_wins`` / ``target_wins_unless_blank`` / ``do_not_sync`` are resolved per direction
into a :class:`WritePolicy` at load time (:func:`write_policy`); :class:`Conflicts` applies the policy to
one write. Messages quote the rule as the file writes it (a version 1 file may still say ``sfa_wins``).
"""

from __future__ import annotations

from collections.abc import Mapping as Values
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connector.mapping.compiled import CompiledField
from connector.mapping.template import render_text
from connector.mapping.transforms import is_blank


class Direction(StrEnum):
    """Which way a table of fields writes, relative to the mapping's ``[source]`` and ``[target]``."""

    TO_TARGET = "to_target"  # read from the source, written to the target: the flow's direction
    TO_SOURCE = "to_source"  # values the flow knows after writing the target, written back to the source


class Conflict(StrEnum):
    """Whose edits win when both systems hold a value, named by direction: ``[source]`` or ``[target]``."""

    SOURCE_WINS = "source_wins"
    TARGET_WINS = "target_wins"
    TARGET_WINS_UNLESS_BLANK = "target_wins_unless_blank"
    DO_NOT_SYNC = "do_not_sync"


VERSION_1_CONFLICTS: dict[str, Conflict] = {
    "ma_wins": Conflict.SOURCE_WINS,
    "sfa_wins": Conflict.TARGET_WINS,
    "sfa_wins_unless_blank": Conflict.TARGET_WINS_UNLESS_BLANK,
}
"""Version 1 named the rules after the handoff's systems (MA = source, SFA = target). Version 1 files
may still use these names (with a deprecation warning); version 2 files may not."""


class WritePolicy(StrEnum):
    """A conflict rule resolved for one direction: when the system being written gets the mapped value."""

    ALWAYS = "always"  # the side revloop reads from wins
    UNLESS_CHANGED = (
        "unless_changed"  # on create; on update only while the target still holds what revloop wrote
    )
    ONLY_IF_BLANK = "only_if_blank"  # on create; on update only where the target is blank
    NEVER = "never"


def write_policy(conflict: Conflict | None, direction: Direction) -> WritePolicy:
    """Resolve ``conflict`` for a table of fields that writes in ``direction``.

    The names say whose edits win. Writing the target, the source is read, so ``source_wins`` (the
    default) always writes, ``target_wins`` writes once and then leaves values changed in the target
    alone, and ``target_wins_unless_blank`` only fills blanks. Writing back to the source, the target is
    what revloop read, so ``target_wins`` (the default there) always writes and ``source_wins`` writes
    once and then leaves values changed in the source alone; ``target_wins_unless_blank`` has no meaning
    there and the loader refuses it.
    """
    if conflict is Conflict.DO_NOT_SYNC:
        return WritePolicy.NEVER
    if direction is Direction.TO_SOURCE:
        return WritePolicy.UNLESS_CHANGED if conflict is Conflict.SOURCE_WINS else WritePolicy.ALWAYS
    if conflict is Conflict.TARGET_WINS:
        return WritePolicy.UNLESS_CHANGED
    if conflict is Conflict.TARGET_WINS_UNLESS_BLANK:
        return WritePolicy.ONLY_IF_BLANK
    return WritePolicy.ALWAYS


@dataclass(frozen=True, slots=True)
class Conflicts:
    """The conflict rules of one write: whether it creates, the target's values now, what revloop wrote."""

    creating: bool
    current: Values[str, Any] | None
    last_written: Values[str, Any] | None

    def withhold_reason(self, compiled: CompiledField, value: Any = None) -> str | None:
        """Why this field must not be written now (with ``value``), or None to write it."""
        policy = compiled.policy
        if policy is WritePolicy.NEVER:
            return "do_not_sync"
        if self.creating:
            return None
        backwards = self._backwards(compiled, value) if compiled.spec.order is not None else None
        if backwards is not None or policy is WritePolicy.ALWAYS:
            return backwards
        current = self._current(compiled.name)
        rule = compiled.spec.conflict
        if policy is WritePolicy.ONLY_IF_BLANK:
            return None if is_blank(current) else f"the target has a value ({rule})"
        last = self.last_written or {}
        if compiled.name not in last:
            return f"revloop has not written this field before ({rule})"
        return (
            None
            if same_value(current, last[compiled.name])
            else f"changed in the target since revloop wrote it ({rule})"
        )

    def _backwards(self, compiled: CompiledField, value: Any) -> str | None:
        """Why writing ``value`` would move an ordered field back, or None."""
        order = [render_text(item) for item in compiled.spec.order or ()]
        now, then = render_text(self._current(compiled.name)), render_text(value)
        if now in order and then in order and order.index(then) < order.index(now):
            return f"{compiled.name} only moves forward: the target holds {now!r}, later than {then!r}"
        return None

    def _current(self, name: str) -> Any:
        if self.current is None or name not in self.current:
            raise ValueError(
                f"updating needs the target's current {name!r}: read fields_needing_current(mapping)"
            )
        return self.current[name]


def same_value(left: Any, right: Any) -> bool:
    """Equality as systems echo values back: blanks are equal, numbers by value, everything else as text."""
    if is_blank(left) or is_blank(right):
        return is_blank(left) and is_blank(right)
    numbers = (int, float)
    if (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        return float(left) == float(right)
    return render_text(left) == render_text(right)
