"""Logging setup and the one redaction filter for secrets.

Secrets reach revloop from environment variables and secret files; each one is registered here when it
is loaded. :func:`redact` removes registered values (also URL-encoded and base64) and anything that looks
like a credential in a URL, header or form body. It is applied to log records, to every error message
stored in the state store, and to exception texts of the client libraries (simple-salesforce puts URLs
and bodies in them; a Marketo token request carries the client secret in its query string).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import urllib.parse

MASK = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_variants: tuple[str, ...] = ()

_CREDENTIAL_PATTERNS = (
    # The lookbehind keeps "errorCode=INVALID_FIELD" or "usid=42" readable: only whole parameter names.
    re.compile(
        r"(?i)(?<![A-Za-z0-9_])((?:access_token|refresh_token|client_secret|client_id|password|session_id|sid|"
        r"hapikey|assertion|code)=)[^&\s\"'<>]+"
    ),
    # JSON, and the Python repr of parsed JSON that client libraries put in exception texts.
    re.compile(
        r"(?i)(([\"'])(?:access_token|refresh_token|client_secret|password|session_id)\2\s*:\s*([\"']))"
        r"(?:(?!\3).)+"
    ),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=:!-]{8,}"),
    # The password in a URL's user info: postgresql://user:PASSWORD@host/db.
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s]+(?=@)"),
)


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` masks it wherever it appears."""
    global _variants
    if not value or len(value) < 4:
        return
    with _secrets_lock:
        _secrets.add(value)
        variants = set()
        for secret in _secrets:
            variants.add(secret)
            variants.add(urllib.parse.quote(secret, safe=""))
            variants.add(urllib.parse.quote_plus(secret))
            variants.update(_base64_forms(secret))
        _variants = tuple(sorted(variants, key=len, reverse=True))


def _base64_forms(secret: str) -> set[str]:
    """The secret in base64: alone, and at each of the three byte offsets it can have inside a longer
    blob such as an HTTP Basic ``client_id:client_secret`` header (only the characters made entirely of
    the secret's bits, which are the same whatever surrounds it)."""
    raw = secret.encode()
    forms = {base64.b64encode(raw).decode().rstrip("=")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        inner = encoded[-(-offset * 4 // 3) : (offset + len(raw)) * 4 // 3]
        if len(inner) >= 8:  # shorter fragments would mask ordinary text by chance
            forms.add(inner)
    return forms


def redact(text: object) -> str:
    """Return ``text`` as a string with every known secret and credential-looking value masked."""
    result = str(text)
    for variant in _variants:
        if variant in result:
            result = result.replace(variant, MASK)
    for pattern in _CREDENTIAL_PATTERNS:
        result = pattern.sub(lambda m: m.group(1) + MASK, result)
    return result


class RedactingFilter(logging.Filter):
    """Masks secrets in the final message and the exception text of every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(level: str = "INFO", *, json_format: bool = False) -> None:
    """Configure the root logger once: one handler on stderr, redaction on every record."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if json_format:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # urllib3 logs full URLs at DEBUG; they are redacted, but they are noise for operators.
    logging.getLogger("urllib3").setLevel(max(root.level, logging.INFO))
    # Alembic announces every migration check at INFO; operators only need to hear about failures.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))


class UtcFormatter(logging.Formatter):
    """Times in UTC, ISO 8601 with a Z (2026-11-25T10:05:00.123Z): log lines from hosts in different
    zones sort and compare, and match the UTC times of the state store and the schedules."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class _JsonFormatter(UtcFormatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        payload = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("run_id", "flow", "system"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False, default=str)  # a run_id may be a UUID
