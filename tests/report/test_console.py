"""The CLI console: tables at their natural width when piped, word-boundary wrapping when narrow."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from connector.report.console import CliConsole, allocate, json_default

MESSAGE = "fields.Phone: phone_e164: not a phone number: '電話番号なし' (the string is not a phone number)"


def errors_like() -> Table:
    table = Table(title="sync errors", title_justify="left")
    for column in ("id", "flow", "stage", "record", "category", "code", "message", "status"):
        table.add_column(column, overflow="fold")
    table.add_row(
        "3", "handoff", "write", "hubspot contacts 1247", "mapping", "MAPPING_FAILED", MESSAGE, "open"
    )
    return table


def render(monkeypatch: pytest.MonkeyPatch, columns: int | None) -> str:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    CliConsole(file=out).print(errors_like())
    return out.getvalue()


def test_piped_output_keeps_each_record_on_one_line(monkeypatch) -> None:
    text = render(monkeypatch, None)

    assert any(MESSAGE in line and "hubspot contacts 1247" in line for line in text.splitlines())


@pytest.mark.parametrize("columns", [200, 120, 80, 50])
def test_no_word_is_ever_broken(monkeypatch, columns) -> None:
    text = render(monkeypatch, columns)

    assert all(len(line.rstrip()) <= columns for line in text.splitlines())
    for word in [*MESSAGE.split(), "MAPPING_FAILED", "handoff"]:
        assert word in text, (word, text)


def test_a_table_too_wide_for_its_words_becomes_one_record_a_line(monkeypatch) -> None:
    text = render(monkeypatch, 80)

    assert "┃" not in text
    assert text.splitlines()[1].startswith("- id: 3 | flow: handoff | stage: write")


def test_a_table_that_fits_stays_a_table(monkeypatch) -> None:
    assert "┃ message" in render(monkeypatch, 200)


def test_columns_narrow_widest_first_never_below_their_longest_word() -> None:
    assert allocate([2, 5, 3], [2, 40, 10], 60) == [2, 40, 10]
    assert allocate([2, 5, 3], [2, 40, 10], 30) == [2, 18, 10]
    assert allocate([2, 5, 8], [2, 40, 10], 17) == [2, 7, 8]
    assert allocate([2, 5, 8], [2, 40, 10], 14) is None


def test_json_times_carry_their_zone() -> None:
    from datetime import UTC, datetime

    assert json_default(datetime(2026, 11, 25, 10, 5)) == "2026-11-25T10:05:00+00:00"
    assert json_default(datetime(2026, 11, 25, 10, 5, tzinfo=UTC)) == "2026-11-25T10:05:00+00:00"
