"""The [salesforce] config table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from connector.settings import SystemSettings


class SalesforceSettings(SystemSettings):
    url_fields = ("instance_url", "token_url")
    adapter_options: ClassVar[Mapping[str, str]] = {"lag_s": "read_lag_s"}

    instance_url: str
    api_version: Annotated[str, Field(pattern=r"^\d+\.\d$")] = "62.0"
    auth: Literal["client_credentials", "access_token"] = "client_credentials"
    token_url: str | None = None
    """OAuth token endpoint; defaults to ``<instance_url>/services/oauth2/token`` (My Domain)."""
    client_id_env: str | None = None
    client_id_file: Path | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    access_token_env: str | None = None
    access_token_file: Path | None = None
    read_lag_s: Annotated[float, Field(ge=0)] = 60.0
    """Seconds of overlap when reading changes: SystemModstamp has one-second precision and long
    transactions commit late. Overlapping records are re-read (no writes: their hash is unchanged)."""

    def required_secrets(self) -> tuple[str, ...]:
        if self.auth == "access_token":
            return ("access_token",)
        return ("client_id", "client_secret")
