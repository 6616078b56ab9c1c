"""config.toml as typed objects: load, validate every key at once, resolve secrets by reference.

Secrets are never written in the config: a system names an environment variable (``<name>_env``) or a
file (``<name>_file``) for each one. Errors name the file, the key path, the bad value and what was
expected; unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connector.errors import ConfigError
from connector.logs import register_secret

SYSTEM_KINDS = ("salesforce", "hubspot", "marketo")

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitSettings(Strict):
    calls: Annotated[int, Field(gt=0)]
    per_seconds: Seconds


class SystemSettings(Strict):
    """What every system table shares: TLS trust, limits and secret references."""

    secret_names: ClassVar[tuple[str, ...]] = ()
    url_fields: ClassVar[tuple[str, ...]] = ()

    ca_bundle: Path | None = None
    """A PEM file of extra CAs to trust (a private CA, or the sandbox's throwaway CA)."""
    timeout_s: Seconds = 60.0
    rate_limit: RateLimitSettings | None = None
    daily_budget: Annotated[int, Field(gt=0)] | None = None
    """Calls revloop may spend per day on this system; the flow stops cleanly when it is reached."""
    quota_reserve: Annotated[int, Field(ge=0)] = 0
    """Calls of the vendor's daily quota to leave for other integrations."""
    allow_private_network: bool = False
    """Allow base URLs on loopback or private addresses (the sandbox needs it; hosted setups should not)."""

    @field_validator("*")
    @classmethod
    def _check_url(cls, value: Any, info: ValidationInfo) -> Any:
        """URL fields: https only, and no private or loopback host unless explicitly allowed.

        A field validator rather than a model check, so URL problems are reported together with every
        other field problem; ``allow_private_network`` is declared first, so it is already in ``info.data``.
        """
        if info.field_name not in cls.url_fields or value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("expected an https:// URL")
        if not info.data.get("allow_private_network", False) and _is_private(parts.hostname):
            raise ValueError(
                "points at a private or loopback address; expected a public host "
                "(set allow_private_network = true to allow it)"
            )
        return value

    @model_validator(mode="after")
    def _check_secret_refs(self) -> SystemSettings:
        problems = []
        for name in self.required_secrets():
            env, file = getattr(self, f"{name}_env"), getattr(self, f"{name}_file")
            if (env is None) == (file is None):
                got = "neither" if env is None else f"both: {env!r} and {str(file)!r}"
                problems.append(f"set exactly one of {name}_env or {name}_file (got {got})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def required_secrets(self) -> tuple[str, ...]:
        return self.secret_names

    def secret(self, name: str) -> str:
        """Read a secret from its environment variable or file; the value is registered for redaction."""
        env, file = getattr(self, f"{name}_env"), getattr(self, f"{name}_file")
        value = _read_env_secret(env) if env else read_file_secret(Path(file))
        register_secret(value)
        return value


class SalesforceSettings(SystemSettings):
    url_fields = ("instance_url", "token_url")

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


class HubSpotSettings(SystemSettings):
    secret_names = ("access_token",)
    url_fields = ("base_url",)

    base_url: str = "https://api.hubapi.com"
    access_token_env: str | None = None
    access_token_file: Path | None = None
    search_rate_limit: RateLimitSettings | None = RateLimitSettings(calls=5, per_seconds=1)
    """The search endpoints have their own, lower limit (5 requests a second per account)."""
    read_lag_s: Annotated[float, Field(ge=0)] = 300.0
    """Seconds of overlap when reading changes: HubSpot's search index is eventually consistent, so a
    record changed just before a read may appear later. Overlapping records are re-read, not rewritten."""


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


class StateSettings(Strict):
    url: str = "sqlite:///revloop.db"
    """SQLAlchemy URL: sqlite:///path.db (one daemon) or postgresql+psycopg://... (several replicas)."""


class DaemonSettings(Strict):
    heartbeat_file: Path | None = None
    """Where the daemon records that its scheduler works (relative to this file's folder); default:
    beside a SQLite store, else revloop-daemon.heartbeat in the working directory."""


class LoggingSettings(Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class FlowSettings(Strict):
    kind: str | None = None
    """Which flow this is (handoff, ...); defaults to the table name, so [flows.handoff] is a handoff."""
    enabled: bool = True
    schedule: str = "every 10m"
    """``every <N>s|m|h`` or a five-field cron expression (``*/15 * * * *``), evaluated in UTC."""
    mapping: Path
    source: Literal["salesforce", "hubspot", "marketo"]
    target: Literal["salesforce", "hubspot", "marketo"]

    def roles(self) -> dict[str, str]:
        """The systems this flow uses, by role."""
        return {"source": self.source, "target": self.target}

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        from connector.schedule import parse_schedule

        parse_schedule(value)
        return value


class Config(Strict):
    state: StateSettings = StateSettings()
    logging: LoggingSettings = LoggingSettings()
    daemon: DaemonSettings = DaemonSettings()
    salesforce: SalesforceSettings | None = None
    hubspot: HubSpotSettings | None = None
    marketo: MarketoSettings | None = None
    flows: dict[str, FlowSettings] = {}

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file this config was loaded from (not a key of the file)."""
        return self._path

    def system(self, kind: str) -> SystemSettings:
        settings = getattr(self, kind, None) if kind in SYSTEM_KINDS else None
        if settings is None:
            raise ConfigError(f"{self.path}: [{kind}]: the system is used by a flow but not configured")
        return settings

    def flow(self, name: str) -> FlowSettings:
        if name not in self.flows:
            known = ", ".join(sorted(self.flows)) or "none"
            raise ConfigError(f"{self.path}: flows.{name}: no such flow (configured: {known})")
        return self.flows[name]

    def flow_kind(self, name: str) -> str:
        """The kind of flow ``name``: its ``kind`` key, else the table name ([flows.handoff] is a handoff)."""
        return self.flow(name).kind or name

    def redacted(self) -> dict[str, Any]:
        """The effective config as plain data; secret references are shown, values never are."""
        return self.model_dump(mode="json", exclude_none=True)


ConfigCheck = Callable[[Config], list[str]]
"""A check a higher layer adds (the flow kinds' checks): problems, each naming file and key."""


def load_config(path: Path | str, *, checks: Sequence[ConfigCheck] = ()) -> Config:
    """Load and validate ``path``, then run ``checks``; raise ConfigError listing every problem found."""
    from connector.config_checks import check_references, describe_error

    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(str(path), problems=[describe_error(path, err) for err in exc.errors()]) from None
    config._path = path
    config = _absolutize(config)
    problems = check_references(config, path)
    for check in checks:
        problems += check(config)
    if problems:
        raise ConfigError(str(path), problems=problems)
    return config


def resolve_relative(config: Config, target: Path) -> Path:
    """Paths in a config file are relative to the file's folder."""
    if target.is_absolute() or config.path is None:
        return target
    return config.path.parent / target


def _absolutize(config: Config) -> Config:
    """Make every path in the config absolute, relative to the config file's folder."""
    updates: dict[str, Any] = {}
    for kind in SYSTEM_KINDS:
        settings = getattr(config, kind)
        if settings is None:
            continue
        paths = {name: resolve_relative(config, value) for name, value in settings if isinstance(value, Path)}
        updates[kind] = settings.model_copy(update=paths)
    flows = {
        name: flow.model_copy(update={"mapping": resolve_relative(config, flow.mapping)})
        for name, flow in config.flows.items()
    }
    return config.model_copy(update={**updates, "flows": flows})


def _read_env_secret(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set (it should hold a secret)")
    return value


def read_file_secret(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, ValueError):
        raise ConfigError(f"{path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} is readable by other users; chmod 600 it")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if not value:
        raise ConfigError(f"{path} is empty")
    return value


def _is_private(host: str) -> bool:
    host = host.rstrip(".")  # "localhost." is still localhost
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
