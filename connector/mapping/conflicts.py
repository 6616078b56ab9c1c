"""Conflict rules: which mapped values may be written now, given what the target holds.

``source_wins`` / ``target_wins`` / ``target_wins_unless_blank`` / ``do_not_sync`` are resolved per direction
into a :class:`~connector.mapping.spec.WritePolicy` at load time; this module applies the policy to one
write. Messages quote the rule as the file writes it (a version 1 file may still say ``sfa_wins``).
"""

from __future__ import annotations

from collections.abc import Mapping as Values
from dataclasses import dataclass
from typing import Any

from connector.mapping.compiled import CompiledField
from connector.mapping.spec import WritePolicy
from connector.mapping.template import render_text
from connector.mapping.transforms import is_blank


@dataclass(frozen=True, slots=True)
class Conflicts:
    """The conflict rules of one write: whether it creates, the target's values now, what revloop wrote."""

    creating: bool
    current: Values[str, Any] | None
    last_written: Values[str, Any] | None

    def withhold_reason(self, compiled: CompiledField) -> str | None:
        """Why this field must not be written now, or None to write it."""
        policy = compiled.policy
        if policy is WritePolicy.NEVER:
            return "do_not_sync"
        if policy is WritePolicy.ALWAYS or self.creating:
            return None
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
