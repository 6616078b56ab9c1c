"""Personal data masked out of what the state store keeps about errors ([state] store_personal_data = false).

:func:`connector.state.sync_errors.record` applies it to every sync-error row it writes, so the stored
payload snapshot and message, and with them ``errors list --json`` and ``errors show``, hold no names,
emails, phone numbers, addresses, birth dates or free text. Fields are recognised by name (``Email``,
``MobilePhone``, ``lastname``, ``Description``, ...) and values by shape whatever their field is called
(an email address; a phone number: a leading ``+``, ``(`` or ``0``, or separators, and 7 to 15 digits).
What stays lets an admin recognise the record: ``t***@e***.com``, ``***78`` (a phone's last two digits),
``K***`` (a name's initial), ``***`` for the rest. Masking a masked value changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

MASK = "***"

_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]+$")
_NAME_FIELDS = {"name", "fullname", "firstname", "lastname", "middlename", "givenname", "familyname",
                "surname", "nickname", "displayname", "salutation"}  # fmt: skip
_OTHER_PERSONAL = ("street", "address", "postal", "zip", "birth", "dob", "description", "comment", "note",
                   "message", "bio", "about", "ipaddress")  # fmt: skip


def mask_email(value: str) -> str:
    """``taro.yamada@example.co.jp`` → ``t***@e***.jp``."""
    local, _, domain = value.strip().rpartition("@")
    tld = f".{domain.rsplit('.', 1)[1]}" if "." in domain else ""
    return f"{local[:1]}{MASK}@{domain[:1]}{MASK}{tld}"


def mask_phone(value: str) -> str:
    """``+81 90-1234-5678`` → ``***78``: enough to tell two numbers of one person apart."""
    digits = re.sub(r"\D", "", value)
    return MASK + digits[-2:] if len(digits) >= 7 else MASK


def mask_name(value: str) -> str:
    return value.strip()[:1] + MASK if value.strip() else value


def mask_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` with every personal field and personal-looking value masked (nested values too)."""
    return {key: _mask_value(value, _masker_for(str(key))) for key, value in payload.items()}


def mask_text(text: str, payload: Mapping[str, Any] | None = None) -> str:
    """A message with the personal values of ``payload`` and any email address masked.

    A vendor's message often quotes the value it refused ("invalid email address: ..."): each personal
    value of the payload is replaced where it appears, then whatever else looks like an email address.
    """
    for original, masked in sorted(_personal_values(payload or {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(original, masked)
    return _EMAIL.sub(lambda match: mask_email(match.group()), text)


def _masker_for(field: str) -> Callable[[str], str] | None:
    """How a field's string values are masked by its name; None when the name says nothing."""
    name = re.sub(r"[^a-z0-9]", "", field.lower().removesuffix("__c"))  # Salesforce custom fields
    if "email" in name or name.endswith("mail"):
        return mask_email
    if any(part in name for part in ("phone", "mobile", "fax")) or name.startswith("tel"):
        return mask_phone
    if name in _NAME_FIELDS or name.endswith(("firstname", "lastname", "fullname")):
        return mask_name
    if any(part in name for part in _OTHER_PERSONAL):
        return lambda _value: MASK
    return None


def _mask_value(value: Any, masker: Callable[[str], str] | None) -> Any:
    if isinstance(value, Mapping):
        return mask_payload(value)
    if isinstance(value, list | tuple):
        return [_mask_value(item, masker) for item in value]
    if isinstance(value, str):
        return _mask_string(value, masker)
    if masker is not None and value is not None and not isinstance(value, bool):
        return MASK  # a number or date in a personal field (a phone stored as a number)
    return value


def _mask_string(value: str, masker: Callable[[str], str] | None) -> str:
    if MASK in value:
        return value  # already masked
    if masker is not None:
        return masker(value)
    if _looks_like_phone(value):
        return mask_phone(value)
    return _EMAIL.sub(lambda match: mask_email(match.group()), value)


def _looks_like_phone(value: str) -> bool:
    """A whole value shaped like a phone number; plain digit strings (ids) are not, unless they start 0."""
    text = value.strip()
    digits = sum(char.isdigit() for char in text)
    if not _PHONE_SHAPE.match(text) or not 7 <= digits <= 15:
        return False
    return text[0] in "+(0" or any(char in text for char in " ()-.")


def _personal_values(payload: Mapping[str, Any]) -> dict[str, str]:
    """Each personal string of ``payload`` (by field name or shape) → its masked form."""
    values: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, Mapping):
            values.update(_personal_values(value))
        elif isinstance(value, str) and len(value.strip()) >= 3:
            masked = _mask_string(value, _masker_for(str(key)))
            if masked != value:
                values[value] = masked
    return values
