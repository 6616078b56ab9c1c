"""The one interface every SaaS adapter implements.

A new system is ``connector/systems/<kind>.py`` with a class implementing :class:`System`, registered in
``connector/systems/__init__.py``, plus its fake in ``connector/sandbox/<kind>.py``.

Adapters translate vendor JSON into :mod:`connector.records` values and classify every vendor failure
into the error taxonomy of :mod:`connector.errors`. They never retry, sleep or count on their own:
every HTTP call goes through the system's :class:`connector.systems.guard.CallGuard`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar, Protocol, runtime_checkable

from connector.records import Cursor, ObjectSchema, Outgoing, Page, Record, WriteResult
from connector.systems.guard import CallGuard


@runtime_checkable
class System(Protocol):
    kind: ClassVar[str]
    """Equals the module name and the config table name (``salesforce``, ``hubspot``, ``marketo``)."""
    max_write_batch: ClassVar[int]
    """The vendor's documented maximum records per write call."""
    max_read_page: ClassVar[int]
    """The vendor's documented maximum records per read call."""

    guard: CallGuard

    def check(self) -> None:
        """Make one cheap authenticated call; raise AuthError or UnreachableError if it fails."""

    def read_changes(
        self,
        obj: str,
        cursor: Cursor | None,
        fields: Sequence[str],
        *,
        activities: Sequence[str] = (),
    ) -> Iterator[Page]:
        """Stream records of ``obj`` changed since ``cursor``, page by page, in constant memory.

        Each page's cursor resumes right after that page; the last page (possibly empty) carries the
        cursor for the next run. ``activities`` names activity kinds to report too (marketing systems).
        """

    def read_by_keys(
        self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """Read the records whose ``key_field`` is one of ``keys``, batching keys to the vendor maximum."""

    def upsert(
        self,
        obj: str,
        key_field: str,
        batch: Sequence[Outgoing],
        *,
        options: Mapping[str, str] | None = None,
    ) -> list[WriteResult]:
        """Create or update ``batch`` (at most ``max_write_batch``) keyed by ``key_field``.

        ``options`` are adapter-specific write settings (e.g. Marketo's ``action``); unknown ones are a
        ConfigError. Returns one result per record in input order; a refused record never fails the others.
        """

    def describe(self, obj: str) -> ObjectSchema:
        """Fields, types, required flags, lengths and picklist values of ``obj``."""
