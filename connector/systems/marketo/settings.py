"""The [marketo] config table, including how a flow's first run reads the leads that already exist."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from connector.settings import SystemSettings


class MarketoSettings(SystemSettings):
    secret_names = ("client_id", "client_secret")
    url_fields = ("base_url", "identity_url")
    adapter_options: ClassVar = {"backfill_days": "backfill_days"}

    base_url: str
    """The REST endpoint, e.g. https://123-ABC-456.mktorest.com/rest (the bulk API is beside it, /bulk)"""
    identity_url: str
    """The identity endpoint, e.g. https://123-ABC-456.mktorest.com/identity"""
    client_id_env: str | None = None
    client_id_file: Path | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    list_folder: Annotated[int, Field(gt=0)] | None = None
    """The folder (its numeric id) new static lists are created in. Marketo has no default folder, so
    without it existing lists are found by name and creating one is a ConfigError naming this key."""
    backfill_days: Annotated[int, Field(ge=0, le=3650)] = 30
    """How far back, in days, a first run reads the activity log: recent engagement counts from there."""
    initial_load: Literal["activities", "list", "bulk_extract"] = "activities"
    """What a flow's first run reads besides the activity log (see config.example.toml)."""
    initial_list_id: Annotated[int, Field(gt=0)] | None = None
    """For initial_load = "list": the id of the static or smart list whose leads the first run reads."""
    initial_list_type: Literal["static", "smart"] = "static"
    """``static``: read over REST, 300 leads a call; ``smart``: one bulk export job filtered by the list."""
    initial_load_since: date | None = None
    """For initial_load = "bulk_extract": leads created (or updated) on or after this day are read."""
    initial_load_filter: Literal["createdAt", "updatedAt"] = "createdAt"
    """The bulk export's date filter: ``createdAt`` reads every lead created since the day once;
    ``updatedAt`` skips leads nobody touched since (not every subscription offers it: 1035)."""
    initial_load_poll_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """Seconds between two status polls of a bulk export job (Marketo updates the status once a minute)."""

    @model_validator(mode="after")
    def _initial_load_is_complete(self) -> MarketoSettings:
        problems = []
        mode = self.initial_load
        if mode == "list" and self.initial_list_id is None:
            problems.append('initial_load = "list" needs initial_list_id (the list\'s numeric id)')
        if mode != "list" and self.initial_list_id is not None:
            problems.append('initial_list_id is only read with initial_load = "list"')
        if mode == "bulk_extract" and self.initial_load_since is None:
            problems.append('initial_load = "bulk_extract" needs initial_load_since (a day, e.g. 2019-01-01)')
        if mode != "bulk_extract" and self.initial_load_since is not None:
            problems.append('initial_load_since is only read with initial_load = "bulk_extract"')
        if self.initial_load_since is not None and self.initial_load_since >= datetime.now(UTC).date():
            problems.append("initial_load_since must be a day before today")
        if problems:
            raise ValueError("; ".join(problems))
        return self
