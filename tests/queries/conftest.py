"""A fresh state store on each backend and a config with three flows, for the query tests.

The store is seeded through the state repositories (``connector.state.*``), as the flows write it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from connector.config import Config
from connector.state import open_store


@pytest.fixture
def engine(store_url) -> Iterator[Engine]:
    engine = open_store(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def config() -> Config:
    """handoff and marketo_handoff enabled, feedback (salesforce → hubspot) disabled."""
    return Config.model_validate(
        {
            "flows": {
                "handoff": {"mapping": "h.toml", "source": "hubspot", "target": "salesforce"},
                "marketo_handoff": {
                    "mapping": "m.toml",
                    "source": "marketo",
                    "target": "salesforce",
                    "schedule": "every 5m",
                },
                "feedback": {
                    "kind": "handoff",
                    "enabled": False,
                    "mapping": "f.toml",
                    "source": "salesforce",
                    "target": "hubspot",
                },
            }
        }
    )
