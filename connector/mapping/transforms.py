"""The closed registry of field transforms: named, pure functions from one value to a new value.

A mapping names transforms in ``transform = [...]``; an entry is either a bare name (``"trim"``) or a
one-key table whose value holds the arguments (``{ truncate = 80 }``, ``{ phone_e164 = { region = "JP" } }``).
:func:`compile_step` checks the name and the arguments once, at load time; the compiled
:class:`Transform` is then applied to each record's value.

Contract of every transform: blank input (None or an all-whitespace string) passes through unchanged
(only ``default_if_blank`` acts on it), the input is never mutated, and a value the transform cannot
handle raises :class:`TransformValueError` with a message fit for the admin report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers


def is_blank(value: Any) -> bool:
    """True for None and for text that is empty or only whitespace (full-width spaces included)."""
    return value is None or (isinstance(value, str) and not value.strip())


class TransformValueError(ValueError):
    """A transform refused one record's value (for example a phone number that is not valid)."""


class TransformSpecError(ValueError):
    """A transform entry in a mapping file is unknown or has bad arguments (reported at load time)."""


def trim(value: Any) -> Any:
    """Remove leading and trailing whitespace, including full-width spaces (U+3000).

    TOML: ``transform = ["trim"]``
    """
    return value.strip() if isinstance(value, str) else value


def lower(value: Any) -> Any:
    """Lower-case text.

    TOML: ``transform = ["lower"]``
    """
    return value.lower() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    """Upper-case text.

    TOML: ``transform = ["upper"]``
    """
    return value.upper() if isinstance(value, str) else value


def nfkc(value: Any) -> Any:
    """Unicode NFKC: full-width letters and digits become half-width, half-width katakana full-width,
    compatibility forms such as ㈱ become (株).

    TOML: ``transform = ["nfkc"]``
    """
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


_WHITESPACE_RUN = re.compile(r"\s+")


def collapse_spaces(value: Any) -> Any:
    """Replace every run of whitespace (tabs, newlines, full-width spaces) with one space, and trim.

    TOML: ``transform = ["collapse_spaces"]``
    """
    return _WHITESPACE_RUN.sub(" ", value).strip() if isinstance(value, str) else value


def phone_e164(value: Any, *, region: str) -> Any:
    """Format a phone number as E.164 (``+81312345678``); numbers without a country code are read in
    ``region``. A number that is not valid fails the record with a mapping error.

    TOML: ``transform = [{ phone_e164 = { region = "JP" } }]``
    """
    text = str(value)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise TransformValueError(f"not a phone number: {text!r} ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise TransformValueError(f"not a valid phone number for region {region}: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def reformat_date(value: Any, *, from_format: str, to_format: str) -> Any:
    """Re-write a date from one strftime layout to another (for example Japanese ``2024/05/01``).

    TOML: ``transform = [{ date = { from = "%Y/%m/%d", to = "%Y-%m-%d" } }]``
    """
    text = str(value).strip()
    try:
        parsed = datetime.strptime(text, from_format)
    except ValueError:
        raise TransformValueError(f"date {text!r} does not match {from_format!r}") from None
    return parsed.strftime(to_format)


def to_date(value: Any) -> Any:
    """An ISO date (``2024-05-01``, as Salesforce date fields want) from milliseconds since the epoch
    (HubSpot date properties) or an ISO date or date-time (converted to UTC first).

    TOML: ``transform = ["to_date"]``
    """
    return _parse_instant(value).date().isoformat()


def to_datetime(value: Any) -> Any:
    """An ISO date-time in UTC with milliseconds (``2024-05-01T09:30:00.000Z``) from milliseconds since
    the epoch or an ISO string (``Z``, ``+09:00`` and ``+0000`` offsets; no offset means UTC).

    TOML: ``transform = ["to_datetime"]``
    """
    instant = _parse_instant(value)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def url_domain(value: Any) -> Any:
    """The host name of a web address, lower-cased, without scheme, ``www.``, user, port, path or final
    dot: ``https://www.Acme.co.jp/about`` and ``ACME.co.jp`` both become ``acme.co.jp``. Text with no
    host name in it fails the record with a mapping error.

    TOML: ``transform = ["url_domain"]``
    """
    text = _SCHEME.sub("", unicodedata.normalize("NFKC", str(value)).strip().lower())
    host = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    while host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    if "." not in host or any(not label for label in host.split(".")) or re.search(r"\s", host):
        raise TransformValueError(f"not a web address or domain: {value!r}")
    return host


def truncate(value: Any, *, length: int) -> Any:
    """Cut text to at most ``length`` characters.

    TOML: ``transform = [{ truncate = 255 }]``
    """
    return value[:length] if isinstance(value, str) else value


def default_if_blank(value: Any, *, default: Any) -> Any:
    """Use ``default`` when the value is blank (missing, empty or only whitespace).

    TOML: ``transform = [{ default_if_blank = "(unknown)" }]``
    """
    return default if is_blank(value) else value


_EPOCH_MS = re.compile(r"-?\d{9,}")


def _parse_instant(value: Any) -> datetime:
    if isinstance(value, bool):
        raise TransformValueError(f"not a date: {value!r}")
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, date):
        instant = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) or _EPOCH_MS.fullmatch(str(value).strip()):
        instant = _from_epoch_ms(value)
    else:
        instant = _from_iso(str(value).strip())
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def _from_epoch_ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise TransformValueError(f"not a date: {value!r} is out of range as milliseconds") from None


def _from_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise TransformValueError(f"not an ISO date or date-time: {text!r}") from None


# ---- argument parsing: each returns the keyword arguments of its transform, or raises TransformSpecError


def _no_arguments(name: str, raw: Any) -> dict[str, Any]:
    raise TransformSpecError(f"{name} takes no arguments: write {name!r} instead of a table")


def _region_argument(name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != {"region"}:
        raise TransformSpecError(f'{name} needs exactly {{ region = "JP" }}')
    region = raw["region"]
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise TransformSpecError(
            f"{name}: unknown region {region!r}; use a two-letter code such as 'JP' or 'US'"
        )
    return {"region": region}


def _date_arguments(name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != {"from", "to"}:
        raise TransformSpecError(f'{name} needs exactly {{ from = "%Y/%m/%d", to = "%Y-%m-%d" }}')
    formats = (raw["from"], raw["to"])
    if not all(isinstance(fmt, str) and "%" in fmt for fmt in formats):
        raise TransformSpecError(f"{name}: from and to must be strftime layouts such as '%Y-%m-%d'")
    return {"from_format": formats[0], "to_format": formats[1]}


def _length_argument(name: str, raw: Any) -> dict[str, Any]:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise TransformSpecError(
            f"{name} needs a positive whole number of characters, e.g. {{ {name} = 255 }}"
        )
    return {"length": raw}


def _default_argument(name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str | int | float | bool):
        raise TransformSpecError(f'{name} needs a string, number or boolean, e.g. {{ {name} = "(unknown)" }}')
    return {"default": raw}


@dataclass(frozen=True, slots=True)
class _Entry:
    function: Callable[..., Any]
    parse_arguments: Callable[[str, Any], dict[str, Any]]
    needs_arguments: bool = False
    acts_on_blank: bool = False


REGISTRY: dict[str, _Entry] = {
    "trim": _Entry(trim, _no_arguments),
    "lower": _Entry(lower, _no_arguments),
    "upper": _Entry(upper, _no_arguments),
    "nfkc": _Entry(nfkc, _no_arguments),
    "collapse_spaces": _Entry(collapse_spaces, _no_arguments),
    "phone_e164": _Entry(phone_e164, _region_argument, needs_arguments=True),
    "date": _Entry(reformat_date, _date_arguments, needs_arguments=True),
    "to_date": _Entry(to_date, _no_arguments),
    "to_datetime": _Entry(to_datetime, _no_arguments),
    "truncate": _Entry(truncate, _length_argument, needs_arguments=True),
    "url_domain": _Entry(url_domain, _no_arguments),
    "default_if_blank": _Entry(default_if_blank, _default_argument, needs_arguments=True, acts_on_blank=True),
}
"""Every transform a mapping may name. Closed on purpose: a new transform is a reviewed code change."""

KNOWN = ", ".join(sorted(REGISTRY))


@dataclass(frozen=True, slots=True)
class Transform:
    """One compiled transform step: a registry function with its checked arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def __call__(self, value: Any) -> Any:
        entry = REGISTRY[self.name]
        if is_blank(value) and not entry.acts_on_blank:
            return value
        return entry.function(value, **self.arguments)


def compile_step(step: Any) -> Transform:
    """Check one ``transform`` entry (a name or a one-key table) and return it compiled.

    Raises TransformSpecError naming the problem and, for unknown names, every known transform.
    """
    if isinstance(step, str):
        name, raw, has_arguments = step, None, False
    elif isinstance(step, dict) and len(step) == 1:
        ((name, raw),) = step.items()
        has_arguments = True
    else:
        raise TransformSpecError('expected a transform name ("trim") or a one-key table ({ truncate = 80 })')
    entry = REGISTRY.get(name)
    if entry is None:
        raise TransformSpecError(f"unknown transform {name!r}; known: {KNOWN}")
    if not has_arguments:
        if entry.needs_arguments:
            return Transform(name, entry.parse_arguments(name, None))
        return Transform(name)
    return Transform(name, entry.parse_arguments(name, raw))
