"""The console CLI output goes to: readable on a terminal of any width, and piped to a file or a pager.

Rich sizes output to a terminal (80 columns when it finds none) and folds table cells that do not fit,
mid-word, into columns a few characters wide. :class:`CliConsole` instead:

- when stdout is not a terminal (a pipe, a file, a CI log) and COLUMNS does not set a width, lets
  lines be as long as their content: tables at their natural width, messages on one line;
- gives a table column widths that wrap each cell only between words and, when the width cannot hold
  every column's longest word, prints one record per line instead ("column: value" pairs, wrapped
  between words).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, ConsoleDimensions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNLIMITED_WIDTH = 100_000
"""The width of output that is not a terminal: no line is ever wrapped."""


class CliConsole(Console):
    """A rich console for CLI output; see the module docstring. Highlighting and markup are off."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"highlight": False, "markup": False, **kwargs})

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal or self._width is not None or "COLUMNS" in self._environ:
            return size
        return ConsoleDimensions(UNLIMITED_WIDTH, size.height)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        fitted = (fit(self, item) if isinstance(item, Table) else item for item in objects)
        super().print(*fitted, **kwargs)


def cli_console(*, stderr: bool = False, markup: bool = False) -> CliConsole:
    return CliConsole(stderr=stderr, markup=markup)


def fit(console: Console, table: Table) -> RenderableType:
    """``table`` with column widths that break cells only between words, or its rows one a line."""
    columns = table.columns
    ranges = [_measure(console, column) for column in columns]
    widths = allocate(
        [measured.minimum for measured in ranges],
        [measured.maximum for measured in ranges],
        console.width - _overhead(table),
    )
    if widths is None:
        return records(table)
    fitted = copy.copy(table)
    fitted.columns = [dataclasses.replace(c, width=w) for c, w in zip(columns, widths, strict=True)]
    return fitted


def allocate(minima: Sequence[int], maxima: Sequence[int], available: int) -> list[int] | None:
    """Column widths within ``available``: each column's widest content, the widest narrowed first,
    none below its longest word; None when even the longest words do not fit side by side."""
    if sum(minima) > available:
        return None
    widths = list(maxima)
    while sum(widths) > available:
        narrowable = [i for i, width in enumerate(widths) if width > minima[i]]
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def records(table: Table) -> RenderableType:
    """The table's title, then one row a line: "column: value" pairs (empty cells left out), wrapped
    between words and indented under a dash, so each record stands out."""
    headers = [str(column.header) for column in table.columns]
    lines = Table.grid(padding=(0, 1))
    lines.add_column(no_wrap=True)
    lines.add_column(overflow="fold")
    for cells in zip(*(column.cells for column in table.columns), strict=True):
        pairs = [
            f"{header}: {text}" for header, text in zip(headers, map(_plain, cells), strict=True) if text
        ]
        lines.add_row("-", Text(" | ".join(pairs)))
    return Group(Text(str(table.title)), lines) if table.title else lines


def json_default(value: Any) -> str:
    """JSON for what json cannot encode: times in ISO 8601 with their zone (naive ones are UTC)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def _plain(cell: Any) -> str:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return " ".join(text.split())


def _measure(console: Console, column: Any) -> Measurement:
    """The narrowest (longest word) and widest (longest line) a column's header and cells need."""
    options = console.options
    measured = [Measurement.get(console, options, item) for item in (column.header, *column.cells)]
    return Measurement(max(m.minimum for m in measured), max(m.maximum for m in measured))


def _overhead(table: Table) -> int:
    """Width a table adds to its cells: padding on both sides of each cell, and the vertical rules."""
    _top, right, _bottom, left = table.padding
    count = len(table.columns)
    rules = (count + 1 if table.show_edge else count - 1) if table.box else 0
    return count * (left + right) + rules
