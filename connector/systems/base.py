"""What a system is: the :class:`System` interface every adapter implements, the optional capabilities
(:class:`Lists`, :class:`Owners`, :class:`Associations`, :class:`Removals`) some add, and the
:class:`SystemSpec` each vendor subpackage declares.

A new system is a subpackage ``connector/systems/<kind>/``: its settings model (``settings.py``), its
adapter (``adapter.py``, a class implementing :class:`System`), a ``SPEC`` in its ``__init__.py``, and one
line in the registry (``connector/systems/__init__.py``); plus its fake, ``connector/sandbox/<kind>/``.

Adapters translate vendor JSON into :mod:`connector.records` values and classify every vendor failure
into the error taxonomy of :mod:`connector.errors`. They never retry, sleep or count on their own:
every HTTP call goes through the system's :class:`connector.systems.guard.CallGuard`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from connector.records import Cursor, ObjectSchema, Outgoing, Page, Record, WriteResult
from connector.settings import SystemSettings
from connector.systems.guard import CallGuard


@runtime_checkable
class System(Protocol):
    kind: ClassVar[str]
    """The vendor: equals the subpackage name (``salesforce``, ``hubspot``, ``marketo``)."""
    name: str
    """This instance's config table name: the kind ([hubspot]) or a [systems.<name>] table (``crm``).
    State (links, cursors, the identity index, API usage) is keyed by it; set by ``build_system``."""
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
        dry_run: bool = False,
    ) -> Iterator[Page]:
        """Stream records of ``obj`` changed since ``cursor``, page by page, in constant memory.

        Each page's cursor resumes right after that page; the last page (possibly empty) carries the
        cursor for the next run. ``activities`` names activity kinds to report too (marketing systems).
        ``dry_run`` (a preview): start no job on the vendor's side (a bulk export of a first load);
        read what the ordinary change stream gives instead.
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


@runtime_checkable
class Lists(Protocol):
    """Static lists of records (HubSpot manual lists, Marketo static lists): segments a flow maintains.

    Ids are the system's record ids. Membership changes return one result per given id, in the given
    order: joining is CREATED, leaving is UPDATED, a change that was already true is UNCHANGED, and an id
    the system does not know is FAILED. Test with ``isinstance(system, Lists)``.
    """

    def find_or_create_list(self, name: str) -> str:
        """The id of the static list called ``name``, created when missing (never twice)."""

    def list_members(self, list_id: str) -> Iterator[str]:
        """The record ids in the list, paged."""

    def add_to_list(self, list_id: str, ids: Sequence[str]) -> list[WriteResult]:
        """Add records to the list, batched to the vendor maximum."""

    def remove_from_list(self, list_id: str, ids: Sequence[str]) -> list[WriteResult]:
        """Remove records from the list, batched to the vendor maximum."""


@runtime_checkable
class Owners(Protocol):
    """The users records can be assigned to (HubSpot owners), found by email: how a Salesforce owner
    becomes the same person's owner in another system. Test with ``isinstance(system, Owners)``."""

    def owners_by_email(self) -> dict[str, str]:
        """Every active owner's id in this system, by lower-cased email."""


@runtime_checkable
class Associations(Protocol):
    """Links between records of two objects (HubSpot associations v4: contact → company, deal → line item)."""

    def associate(
        self,
        from_obj: str,
        to_obj: str,
        pairs: Sequence[tuple[str, str]],
        *,
        type_id: int | None = None,
        category: str = "HUBSPOT_DEFINED",
    ) -> list[WriteResult]:
        """Link each (from id, to id) pair; the default link type when ``type_id`` is None.

        One result per pair, in input order, keyed ``"<from id>:<to id>"``: CREATED when linked (linking
        twice is harmless), FAILED when the system refused that pair.
        """

    def dissociate(self, from_obj: str, to_obj: str, pairs: Sequence[tuple[str, str]]) -> list[WriteResult]:
        """Remove every link between each (from id, to id) pair; one UPDATED result per pair, keyed as in
        :meth:`associate` (a pair that was not linked is removed all the same: harmless to repeat)."""


@runtime_checkable
class DeletedReads(Protocol):
    """Change reads that also see deleted records (Salesforce's queryAll): how a flow learns that a child
    record (an opportunity's contact role) was deleted when its parent did not change."""

    def read_changes_with_deleted(
        self, obj: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Page]:
        """As :meth:`System.read_changes`, deleted records included, each with ``IsDeleted`` true."""


@runtime_checkable
class Removals(Protocol):
    """Records a flow may remove: HubSpot archives them (a line item deleted at the source)."""

    def remove(self, obj: str, ids: Sequence[str]) -> list[WriteResult]:
        """Remove records of ``obj`` by record id, batched to the vendor maximum; one UPDATED result per id
        (an id already gone is removed all the same: harmless to repeat)."""


@dataclass(frozen=True)
class SandboxTable:
    """How the sandbox config (:mod:`connector.demo.sandbox_config`) points this system at its fake.

    The config table gets ``ca_bundle`` and ``allow_private_network`` for every system, then:
    """

    urls: Mapping[str, str]
    """Config key → path appended to the fake's base URL (``""``: the base URL itself)."""
    secret_files: Mapping[str, str]
    """Secret name → file name under ``secrets/``; the value is the fake's credential of that name."""
    settings: Mapping[str, tuple[Any, str]] = field(default_factory=dict)
    """Further keys: key → (value, why the sandbox sets it)."""


@dataclass(frozen=True)
class SystemSpec:
    """What a vendor subpackage declares, so config, registry and sandbox need no per-vendor code."""

    kind: str
    """The config table name and ``System.kind``."""
    settings: type[SystemSettings]
    """The model of the system's config table."""
    adapter: str
    """``"module:Class"`` of the adapter, imported only when a system is built, so that loading or
    checking a config never imports the vendor's client library."""
    sandbox: SandboxTable

    def adapter_class(self) -> type[System]:
        module_name, class_name = self.adapter.split(":")
        return getattr(importlib.import_module(module_name), class_name)
