"""What every system config table shares: strict models, TLS trust, limits, URL checks, secret references.

A base module: it imports no connector layer, so each vendor subpackage of :mod:`connector.systems` can
declare its own settings model on top of :class:`SystemSettings` without importing :mod:`connector.config`
(which sits above the systems and builds its tables from their declarations).

Secrets are never written in the config: a system names an environment variable (``<name>_env``) or a
file (``<name>_file``) for each one; values are read on use and registered for redaction at once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from connector.addresses import describe, host_refusal
from connector.errors import ConfigError
from connector.logs import register_secret

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]

SECRET_DIRECTORIES = (Path("/run/secrets"), Path("/var/run/secrets"), Path("/etc/secrets"))
"""Where Docker (/run/secrets) and Kubernetes (service-account tokens, the usual secret volume mount
points) put secrets: files there may be readable by others, as those tools make them."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitSettings(Strict):
    calls: Annotated[int, Field(gt=0)]
    per_seconds: Seconds


class SystemSettings(Strict):
    """What every system table shares: TLS trust, limits and secret references.

    A subclass declares its own keys and, as class variables, what the shared code must know about them.
    """

    secret_names: ClassVar[tuple[str, ...]] = ()
    """Secrets the system needs; each is set by ``<name>_env`` or ``<name>_file``."""
    url_fields: ClassVar[tuple[str, ...]] = ()
    """Fields holding base URLs: https only, no private host unless ``allow_private_network`` (hosts given
    by name are checked again at connect time, by :mod:`connector.systems.network`)."""
    extra_rate_buckets: ClassVar[Mapping[str, str]] = {}
    """Call-guard buckets besides ``default`` (from ``rate_limit``): bucket name → field holding its limit."""
    adapter_options: ClassVar[Mapping[str, str]] = {}
    """Keyword arguments the adapter takes from this table: keyword → field name."""

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
        refused = None if info.data.get("allow_private_network", False) else host_refusal(parts.hostname)
        if refused:
            raise ValueError(
                f"{describe(parts.hostname)} is {refused}; expected a public host "
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
        return read_secret(getattr(self, f"{name}_env"), getattr(self, f"{name}_file"))

    def rate_buckets(self) -> dict[str, RateLimitSettings]:
        """The configured limit of every call-guard bucket, by bucket name; unset limits are left out."""
        limits = {
            "default": self.rate_limit,
            **{b: getattr(self, f) for b, f in self.extra_rate_buckets.items()},
        }
        return {bucket: limit for bucket, limit in limits.items() if limit is not None}

    def adapter_keywords(self) -> dict[str, Any]:
        """The adapter's keyword arguments taken from this table (see ``adapter_options``)."""
        return {keyword: getattr(self, name) for keyword, name in self.adapter_options.items()}


def read_secret(env: str | None, file: Path | str | None) -> str:
    """A secret from the environment variable ``env``, else from ``file``; registered for redaction."""
    value = _read_env_secret(env) if env else read_file_secret(Path(str(file)))
    register_secret(value)
    return value


def read_file_secret(path: Path) -> str:
    """A secret from a file; ConfigError names the file and what is wrong, never the value.

    The rule: a secret file is never writable by group or others; it belongs to root or to the user
    revloop runs as, unless it is on a read-only mount (nobody can change it there: a Compose secret
    keeps its host owner); and only its owner may read it, unless it is delivered the way Docker and
    Kubernetes deliver secrets: on a read-only mount, or under /run/secrets, /var/run/secrets or
    /etc/secrets (Docker secrets are 0444, Kubernetes secret volumes 0644, 0440 with fsGroup).
    Symlinks are judged where they lead.
    """
    try:
        info = path.stat()
    except (FileNotFoundError, ValueError):
        raise ConfigError(f"{path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({type(exc).__name__})") from None
    problem = _exposure(path, info)
    if problem:
        raise ConfigError(f"{path} {problem}")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if not value:
        raise ConfigError(f"{path} is empty")
    return value


def _exposure(path: Path, info: os.stat_result) -> str | None:
    """What makes the secret file at ``path`` unsafe to use (see :func:`read_file_secret`), or None."""
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by other users (mode {mode:04o}); chmod 600 it"
    read_only = _on_read_only_mount(path)
    if not read_only and info.st_uid not in (0, os.geteuid()):
        return (
            f"belongs to uid {info.st_uid}, neither root nor the user revloop runs as "
            f"(uid {os.geteuid()}); chown it, or mount it read-only"
        )
    if mode & (stat.S_IRGRP | stat.S_IROTH) and not (read_only or _in_secret_directory(path)):
        return (
            f"is readable by other users (mode {mode:04o}); chmod 600 it, or mount it the way Docker "
            f"and Kubernetes mount secrets: read-only, or under {', '.join(map(str, SECRET_DIRECTORIES))}"
        )
    return None


def _on_read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _in_secret_directory(path: Path) -> bool:
    target = path.resolve()
    return any(target.is_relative_to(folder.resolve()) for folder in SECRET_DIRECTORIES)


def _read_env_secret(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set (it should hold a secret)")
    return value
