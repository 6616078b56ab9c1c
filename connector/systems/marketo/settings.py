"""The [marketo] config table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from connector.settings import SystemSettings


class MarketoSettings(SystemSettings):
    secret_names = ("client_id", "client_secret")
    url_fields = ("base_url", "identity_url")

    base_url: str
    """The REST endpoint, e.g. https://123-ABC-456.mktorest.com/rest"""
    identity_url: str
    """The identity endpoint, e.g. https://123-ABC-456.mktorest.com/identity"""
    client_id_env: str | None = None
    client_id_file: Path | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    list_folder: Annotated[int, Field(gt=0)] | None = None
    """The folder (its numeric id) new static lists are created in. Marketo has no default folder, so
    without it existing lists are found by name and creating one is a ConfigError naming this key."""
