"""config.toml as typed objects: load, validate every key at once, resolve secrets by reference.

The system tables come from the systems registry (:data:`connector.systems.SYSTEMS`): one optional
table per registered system, validated by the settings model its subpackage declares. Secrets are never
written in the config: a system names an environment variable (``<name>_env``) or a file
(``<name>_file``) for each one. Errors name the file, the key path, the bad value and what was
expected; unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    create_model,
    field_validator,
)

from connector.errors import ConfigError
from connector.settings import Strict, SystemSettings
from connector.state_settings import StateSettings
from connector.systems import SYSTEMS, kind_of
from connector.validation import describe_errors


class DaemonSettings(Strict):
    heartbeat_file: Path | None = None
    """Where the daemon records that its scheduler works (relative to this file's folder); default:
    beside a SQLite store, else revloop-daemon.heartbeat in the working directory."""
    max_run_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 7200.0
    """A run taking longer than this is hung: the daemon stops its heartbeat, so the health check turns
    red and the orchestrator restarts it (the next run recovers the hung run's records)."""


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
    source: str
    """The system read: the name of a system table ([hubspot], or [systems.<name>])."""
    target: str
    """The system written."""

    def roles(self) -> dict[str, str]:
        """The systems this flow uses, by role."""
        return {"source": self.source, "target": self.target}

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        from connector.schedule import parse_schedule

        parse_schedule(value)
        return value


class _ConfigBase(Strict):
    """The behaviour of :data:`Config`; its fields (``flows`` among them) are declared below."""

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file this config was loaded from (not a key of the file)."""
        return self._path

    def systems_configured(self) -> dict[str, SystemSettings]:
        """Every configured system by name: the tables named after a kind, then [systems.<name>]."""
        named = {kind: getattr(self, kind) for kind in SYSTEMS if getattr(self, kind) is not None}
        return {**named, **self.systems}

    def system(self, name: str) -> SystemSettings:
        settings = self.systems_configured().get(name)
        if settings is None:
            raise ConfigError(f"{self.path}: [{name}]: the system is used by a flow but not configured")
        return settings

    def system_kind(self, name: str) -> str:
        """The registered kind of system ``name`` (``hubspot`` for [hubspot] and for a [systems.crm] of
        kind "hubspot")."""
        return kind_of(self.system(name))

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


Config = create_model(
    "Config",
    __base__=_ConfigBase,
    __doc__="The whole config.toml: [state], [logging], [daemon], one optional table per registered system, "
    "[flows.*].",
    state=(StateSettings, StateSettings()),
    logging=(LoggingSettings, LoggingSettings()),
    daemon=(DaemonSettings, DaemonSettings()),
    **{kind: (spec.settings | None, None) for kind, spec in SYSTEMS.items()},
    systems=(dict[str, SerializeAsAny[SystemSettings]], {}),
    flows=(dict[str, FlowSettings], {}),
)


ConfigCheck = Callable[[Config], list[str]]
"""A check a higher layer adds (the flow kinds' checks): problems, each naming file and key."""


def load_config(path: Path | str, *, checks: Sequence[ConfigCheck] = ()) -> Config:
    """Load and validate ``path``, then run ``checks``; raise ConfigError listing every problem found."""
    from connector.config_checks import check_references

    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    instances, problems = _system_instances(raw.pop("systems", {}), path)
    try:
        config = Config.model_validate({**raw, "systems": instances})
    except ValidationError as exc:
        problems = describe_errors(exc, source=path, model=Config) + problems
    if problems:
        raise ConfigError(str(path), problems=problems)
    config._path = path
    config = _absolutize(config)
    problems = check_references(config, path)
    for check in checks:
        problems += check(config)
    if problems:
        raise ConfigError(str(path), problems=problems)
    return config


def _system_instances(raw: Any, path: Path) -> tuple[dict[str, SystemSettings], list[str]]:
    """The [systems.<name>] tables: more systems of a registered kind (a second HubSpot portal as the
    CRM), each validated by its kind's settings model. Returns them and the problems found."""
    if not isinstance(raw, dict):
        return {}, [f"{path}: systems: expected a table of [systems.<name>] tables"]
    instances: dict[str, SystemSettings] = {}
    problems: list[str] = []
    for name, table in raw.items():
        where = f"{path}: systems.{name}"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table")
            continue
        kind = table.get("kind")
        if kind not in SYSTEMS:
            problems.append(f"{where}.kind: expected one of: {', '.join(SYSTEMS)} (got {kind!r})")
            continue
        if name in SYSTEMS:
            problems.append(f"{where}: {name!r} names the [{name}] table; give this system another name")
            continue
        model = SYSTEMS[kind].settings
        try:
            instances[name] = model.model_validate({key: v for key, v in table.items() if key != "kind"})
        except ValidationError as exc:
            problems += describe_errors(exc, source=path, model=model, at=("systems", name))
    return instances, problems


def resolve_relative(config: Config, target: Path) -> Path:
    """Paths in a config file are relative to the file's folder."""
    if target.is_absolute() or config.path is None:
        return target
    return config.path.parent / target


def _absolutize(config: Config) -> Config:
    """Make every path in the config absolute, relative to the config file's folder."""

    def absolute(settings: SystemSettings) -> SystemSettings:
        paths = {key: resolve_relative(config, value) for key, value in settings if isinstance(value, Path)}
        return settings.model_copy(update=paths)

    updates: dict[str, Any] = {
        kind: absolute(getattr(config, kind)) for kind in SYSTEMS if getattr(config, kind) is not None
    }
    updates["systems"] = {name: absolute(settings) for name, settings in config.systems.items()}
    flows = {
        name: flow.model_copy(update={"mapping": resolve_relative(config, flow.mapping)})
        for name, flow in config.flows.items()
    }
    if config.state.password_file is not None:
        password_file = resolve_relative(config, config.state.password_file)
        updates["state"] = config.state.model_copy(update={"password_file": password_file})
    return config.model_copy(update={**updates, "flows": flows})
