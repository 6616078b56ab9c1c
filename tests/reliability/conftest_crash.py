"""Fixtures for the crash, fault and replica tests: one HTTPS sandbox per test module.

Test modules load them with ``pytest_plugins = ("conftest_crash",)`` and never import this module.
Each test builds its own seeded :class:`crash_world.CrashWorld`, which resets the fakes first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.sandbox.server import Sandbox, start_sandbox


@pytest.fixture(scope="module")
def crash_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("crash-sandbox")) as sandbox:
        yield sandbox
