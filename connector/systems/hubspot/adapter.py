"""HubSpot as a system: contacts, companies, deals, line items and products through hubspot-api-client.

Uses the generic CRM objects APIs (any object type), the search API for incremental reads, batch
read/update/upsert (100 inputs a call), the properties API for describe, associations v4 and lists v3.
Every call goes through the system's CallGuard; the private app token has no refresh, so a 401 fails
the run. See read (change windows), write (bisecting batch writes), links (associations and lists)
and errors (classification).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from connector.errors import ConfigError, SchemaDriftError
from connector.records import Cursor, FieldSchema, ObjectSchema, Outgoing, Page, Record, WriteResult
from connector.systems.guard import CallGuard
from connector.systems.hubspot.links import HubSpotLinks
from connector.systems.hubspot.read import ID_KEYS, HubSpotReader
from connector.systems.hubspot.settings import HubSpotSettings
from connector.systems.hubspot.transport import HubSpotTransport
from connector.systems.hubspot.write import archive, upsert

IMPLICITLY_UNIQUE = {"contacts": frozenset({"email"})}
OWNERS_PAGE = 100
"""Properties HubSpot accepts as ``idProperty`` without declaring ``hasUniqueValue``."""


def field_schema(definition: Mapping[str, Any], implicitly_unique: frozenset[str]) -> FieldSchema:
    """A FieldSchema from one HubSpot property definition."""
    read_only = bool((definition.get("modificationMetadata") or {}).get("readOnlyValue"))
    kind = str(definition.get("type") or "string").lower()
    options = tuple(
        str(option["value"]) for option in definition.get("options") or () if not option.get("hidden")
    )
    return FieldSchema(
        name=definition["name"],
        type=kind,
        label=str(definition.get("label") or ""),
        picklist=options if kind == "enumeration" else (),
        restricted_picklist=kind == "enumeration",
        createable=not read_only,
        updateable=not read_only,
        external_id=bool(definition.get("hasUniqueValue")) or definition["name"] in implicitly_unique,
    )


class HubSpotSystem:
    """HubSpot CRM / marketing hub. ``lag_s``: how far back each change window reaches before the
    previous read started (search is eventually consistent)."""

    kind: ClassVar[str] = "hubspot"
    name: str = "hubspot"  # the config table's name; build_system sets it for [systems.<name>] tables
    max_write_batch: ClassVar[int] = 100
    max_read_page: ClassVar[int] = 200

    def __init__(self, settings: HubSpotSettings, guard: CallGuard, *, lag_s: float = 300.0) -> None:
        self.guard = guard
        self.transport = HubSpotTransport(settings, guard)
        self.reader = HubSpotReader(self.transport, lag_ms=int(lag_s * 1000))
        self.links = HubSpotLinks(self.transport)
        self._schemas: dict[str, ObjectSchema] = {}

    def __repr__(self) -> str:
        return f"HubSpotSystem(base_url={self.transport.base_url!r})"

    def check(self) -> None:
        """One cheap authenticated call: the first contact."""
        objects = self.transport.objects
        self.transport.call(
            "objects.list", lambda **kw: objects.get_page_with_http_info("contacts", limit=1, **kw)
        )

    def read_changes(
        self,
        obj: str,
        cursor: Cursor | None,
        fields: Sequence[str],
        *,
        activities: Sequence[str] = (),
        dry_run: bool = False,
    ) -> Iterator[Page]:
        """Records changed since ``cursor`` (None: all records), 200 a page, in ascending id order.

        HubSpot keeps engagement as contact properties, so ``activities`` are not supported: map the
        properties instead (e.g. ``revloop_pricing_page_views``). Reads start no job: ``dry_run`` changes
        nothing.
        """
        if activities:
            raise ConfigError(
                f"hubspot: activities {list(activities)} cannot be read from HubSpot; use metrics that read "
                "contact properties (e.g. revloop_pricing_page_views) instead"
            )
        return self.reader.changes(obj, cursor, fields, now_ms=int(time.time() * 1000))

    def read_by_keys(
        self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """By record id or a unique property: batch read, 100 keys a call. Otherwise: search with IN."""
        wanted = [key for key in dict.fromkeys(str(key) for key in keys) if key]
        if key_field in ID_KEYS:
            return self.reader.by_ids(obj, None, wanted, fields)
        if self._is_unique(obj, key_field):
            return self.reader.by_ids(obj, key_field, wanted, fields)
        return self.reader.by_values(obj, key_field, wanted, fields)

    def upsert(
        self,
        obj: str,
        key_field: str,
        batch: Sequence[Outgoing],
        *,
        options: Mapping[str, str] | None = None,
    ) -> list[WriteResult]:
        """By record id (``hs_object_id``/``id``): batch/update. Else batch/upsert with ``idProperty``.

        At most 100 records (ValueError beyond). HubSpot takes no write options (ConfigError). The key
        must be a unique property (SchemaDriftError otherwise, before any write).
        """
        if options:
            raise ConfigError(f"hubspot: writes take no options, got {sorted(options)}")
        if batch and key_field not in ID_KEYS and not self._is_unique(obj, key_field):
            raise SchemaDriftError(
                f"{key_field} is not a unique property of {obj}: batch upsert needs one "
                "(mark it 'unique value' in HubSpot, or key the mapping on hs_object_id)",
                system=self.kind,
                code="NOT_UNIQUE",
            )
        return upsert(self.transport, obj, key_field, batch)

    def describe(self, obj: str) -> ObjectSchema:
        api = self.transport.properties
        answer = self.transport.call("properties.list", lambda **kw: api.get_all_with_http_info(obj, **kw))
        unique = IMPLICITLY_UNIQUE.get(obj, frozenset())
        fields = {d["name"]: field_schema(d, unique) for d in (answer.body or {}).get("results") or ()}
        self._schemas[obj] = ObjectSchema(system=self.kind, object=obj, fields=fields)
        return self._schemas[obj]

    # ---- capabilities: Associations, Removals, Lists (see connector.systems.base) -------------------
    def associate(
        self,
        from_obj: str,
        to_obj: str,
        pairs: Sequence[tuple[str, str]],
        *,
        type_id: int | None = None,
        category: str = "HUBSPOT_DEFINED",
    ) -> list[WriteResult]:
        """Associate (from id, to id) pairs, 100 a call; results keyed ``"<from>:<to>"``."""
        return self.links.associate(from_obj, to_obj, pairs, type_id=type_id, category=category)

    def dissociate(self, from_obj: str, to_obj: str, pairs: Sequence[tuple[str, str]]) -> list[WriteResult]:
        return self.links.dissociate(from_obj, to_obj, pairs)

    def remove(self, obj: str, ids: Sequence[str]) -> list[WriteResult]:
        """Archive records by id, 100 a call (HubSpot answers 204 and ignores ids it does not know)."""
        return archive(self.transport, obj, ids)

    def find_or_create_list(self, name: str, object_type_id: str = "0-1") -> str:
        """A MANUAL list of ``object_type_id`` records (contacts by default)."""
        return self.links.find_or_create_list(name, object_type_id)

    def list_members(self, list_id: str) -> Iterator[str]:
        return self.links.members(list_id)

    def add_to_list(self, list_id: str, ids: Sequence[str]) -> list[WriteResult]:
        return self.links.change_members(list_id, ids, add=True)

    def remove_from_list(self, list_id: str, ids: Sequence[str]) -> list[WriteResult]:
        return self.links.change_members(list_id, ids, add=False)

    # ---- capability: Owners (see connector.systems.base) ----------------------------------------------
    def owners_by_email(self) -> dict[str, str]:
        """Every active owner's id by lower-cased email (owners v3, 100 a page: one call in most portals)."""
        api, owners, after = self.transport.owners, {}, None
        while True:
            answer = self.transport.call(
                "owners.list",
                lambda a=after, **kw: api.get_page_with_http_info(limit=OWNERS_PAGE, after=a, **kw),
            )
            body = answer.body or {}
            for owner in body.get("results") or ():
                if owner.get("email"):
                    owners[str(owner["email"]).strip().lower()] = str(owner["id"])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return owners

    def _is_unique(self, obj: str, key_field: str) -> bool:
        if key_field in IMPLICITLY_UNIQUE.get(obj, ()):
            return True
        schema = self._schemas.get(obj) or self.describe(obj)
        field = schema.field(key_field)
        return field is not None and field.external_id
