"""The [hubspot] config table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field

from connector.settings import RateLimitSettings, SystemSettings


class HubSpotSettings(SystemSettings):
    secret_names = ("access_token",)
    url_fields = ("base_url",)
    extra_rate_buckets: ClassVar[Mapping[str, str]] = {"search": "search_rate_limit"}
    adapter_options: ClassVar[Mapping[str, str]] = {"lag_s": "read_lag_s"}

    base_url: str = "https://api.hubapi.com"
    access_token_env: str | None = None
    access_token_file: Path | None = None
    search_rate_limit: RateLimitSettings | None = RateLimitSettings(calls=5, per_seconds=1)
    """The search endpoints have their own, lower limit (5 requests a second per account)."""
    read_lag_s: Annotated[float, Field(ge=0)] = 300.0
    """Seconds of overlap when reading changes: HubSpot's search index is eventually consistent, so a
    record changed just before a read may appear later. Overlapping records are re-read, not rewritten."""
