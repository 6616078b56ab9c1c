"""Typed errors, grouped by what the runner does next.

    RevloopError                      exit 1 unless a subclass says otherwise
     ├── ConfigError                  exit 2: bad config, mapping or rule file; never retried
     │    ├── MappingError            a mapping file is invalid (file, key path, expected)
     │    └── RuleError               a qualification rule does not compile or names an unknown field
     ├── StateError                   the state store is unusable (migration, lock)
     │    ├── StoreLocationError      exit 2: [state] url names a place no store can be (a missing folder)
     │    ├── StoreUnavailableError   exit 3: the store cannot be opened or written, or its server refuses
     │    └── FlowLockedError         exit 0: another revloop process is running the flow
     └── RemoteError                  a system answered badly; carries an ErrorCategory
          ├── TransientError          5xx, timeouts, lock contention: back off and retry
          │    └── AmbiguousError     the request may have been applied: re-send only as an upsert
          ├── ThrottledError          429 / Marketo 606, 615: wait Retry-After, then retry
          ├── QuotaExhaustedError     daily quota or budget gone: stop the flow, records stay pending (exit 3)
          ├── AuthError               credentials refused after one refresh (exit 3)
          ├── UnreachableError        a system could not be reached after retries (exit 3)
          ├── SchemaDriftError        unknown field, restricted picklist: pause the flow (exit 1)
          └── RecordRejectedError     one record refused; becomes a sync-error row, never stops a run

Every message is redacted before it is stored or printed (connector.logs.redact); exceptions
raised by revloop never carry a secret.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCategory(StrEnum):
    """The one error taxonomy shared by every system, the retry layer and the admin report."""

    TRANSIENT = "transient"
    THROTTLED = "throttled"
    QUOTA_EXHAUSTED = "quota_exhausted"
    AUTH = "auth"
    RECORD_REJECT = "record_reject"
    SCHEMA_DRIFT = "schema_drift"
    AMBIGUOUS = "ambiguous"
    # Raised by revloop itself rather than by a system:
    AMBIGUOUS_MATCH = "ambiguous_match"  # several target records match one source record
    MAPPING = "mapping"  # a record cannot be mapped (e.g. a transform refused its value)


class ExitCode:
    OK = 0
    RECORD_ERRORS = 1
    USAGE = 2
    UNAVAILABLE = 3


class RevloopError(Exception):
    """Root of every error revloop raises on purpose."""

    exit_code = ExitCode.RECORD_ERRORS


class ConfigError(RevloopError):
    """A config, mapping or rule file is wrong. The message names the file, the key and what was expected."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message if problems is None else "\n".join(problems))


class MappingError(ConfigError):
    """A mapping file is invalid."""


class RuleError(ConfigError):
    """A qualification rule does not compile or refers to a name the record does not have."""


class StateError(RevloopError):
    """The state store cannot be used (for example another process holds the flow lock)."""


class StoreLocationError(StateError):
    """``[state] url`` points where no store can be, e.g. into a folder that does not exist."""

    exit_code = ExitCode.USAGE


class StoreUnavailableError(StateError):
    """The store exists but cannot be opened or written, or its server is unreachable or refuses us."""

    exit_code = ExitCode.UNAVAILABLE


class FlowLockedError(StateError):
    """Another revloop process is running this flow right now."""

    exit_code = ExitCode.OK


class RemoteError(RevloopError):
    """A remote system refused or failed a call. ``category`` drives retries and the admin report."""

    category: ErrorCategory = ErrorCategory.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        system: str,
        status: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.system = system
        self.status = status
        self.code = code
        self.endpoint = endpoint
        super().__init__(f"{system}: {message}")


class TransientError(RemoteError):
    category = ErrorCategory.TRANSIENT


class AmbiguousError(TransientError):
    """The connection broke after the request was sent: it may have been applied."""

    category = ErrorCategory.AMBIGUOUS


class ThrottledError(RemoteError):
    category = ErrorCategory.THROTTLED

    def __init__(self, message: str, *, retry_after: float | None = None, **context) -> None:
        self.retry_after = retry_after
        super().__init__(message, **context)


class QuotaExhaustedError(RemoteError):
    category = ErrorCategory.QUOTA_EXHAUSTED
    exit_code = ExitCode.UNAVAILABLE


class AuthError(RemoteError):
    category = ErrorCategory.AUTH
    exit_code = ExitCode.UNAVAILABLE


class UnreachableError(TransientError):
    """Retries ran out on transient failures: the system is down or unreachable."""

    exit_code = ExitCode.UNAVAILABLE


class SchemaDriftError(RemoteError):
    category = ErrorCategory.SCHEMA_DRIFT


class RecordRejectedError(RemoteError):
    category = ErrorCategory.RECORD_REJECT
