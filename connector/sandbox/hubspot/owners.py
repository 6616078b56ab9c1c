"""Owners v3 of the HubSpot fake: the users records can be assigned to (``hubspot_owner_id``).

``GET /crm/v3/owners/`` pages owners (``limit`` default 100, at most 500; ``after`` is the next page's
token) and filters by ``email``; ``GET /crm/v3/owners/{ownerId}`` reads one (``idProperty=userId`` reads
by user id). Archived owners are only listed with ``archived=true``. The answers have the shape of
hubspot-api-client's ``CollectionResponsePublicOwnerForwardPaging`` and ``PublicOwner``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.hubspot.store import iso
from connector.sandbox.hubspot.wire import WireError

DEFAULT_PAGE = 100
MAX_PAGE = 500


def owner_rules() -> list[Rule]:
    return [
        Rule("/crm/v3/owners", endpoint="owners_page", methods=["GET"]),
        Rule("/crm/v3/owners/<owner_id>", endpoint="owner_get", methods=["GET"]),
    ]


@dataclass
class StoredOwner:
    id: int
    user_id: int
    email: str
    first_name: str
    last_name: str
    created_ms: int
    archived: bool = False

    def wire(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "email": self.email,
            "type": "PERSON",
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userId": self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": iso(self.created_ms),
            "updatedAt": iso(self.created_ms),
            "archived": self.archived,
            "teams": [],
        }


class OwnerBook:
    """The portal's owners, in creation order."""

    def __init__(self) -> None:
        self.owners: dict[int, StoredOwner] = {}
        self._next_id = 70001

    def add(self, entry: Mapping[str, Any]) -> StoredOwner:
        owner_id = int(entry.get("id") or self._next_id)
        self._next_id = max(self._next_id, owner_id + 1)
        owner = StoredOwner(
            id=owner_id,
            user_id=int(entry.get("userId") or owner_id + 9_000_000),
            email=str(entry["email"]).strip().lower(),
            first_name=str(entry.get("firstName") or ""),
            last_name=str(entry.get("lastName") or ""),
            created_ms=int(time.time() * 1000),
            archived=bool(entry.get("archived", False)),
        )
        self.owners[owner.id] = owner
        return owner

    def dump(self) -> list[dict[str, Any]]:
        return [owner.wire() for owner in self.owners.values()]


class OwnerEndpoints:
    """The owners handlers (mixed into HubSpotFake, which provides ``owner_book`` and the lock)."""

    owner_book: OwnerBook

    def owners_page(self, request: Request) -> Response:
        archived = request.args.get("archived", "false").lower() == "true"
        email = (request.args.get("email") or "").strip().lower()
        limit = _limit(request.args.get("limit"))
        after = int(request.args.get("after") or 0)
        chosen = [
            owner
            for owner in self.owner_book.owners.values()
            if owner.archived == archived and (not email or owner.email == email) and owner.id > after
        ]
        page = chosen[:limit]
        body: dict[str, Any] = {"results": [owner.wire() for owner in page]}
        if len(chosen) > limit:
            token = str(page[-1].id)
            body["paging"] = {"next": {"after": token, "link": f"{request.base_url}?after={token}"}}
        return json_response(body)

    def owner_get(self, request: Request, owner_id: str) -> Response:
        by_user = request.args.get("idProperty") == "userId"
        found = _find(self.owner_book.owners.values(), owner_id, by_user=by_user)
        if found is None:
            raise WireError(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found")
        return json_response(found.wire())


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise WireError(400, "VALIDATION_ERROR", f"limit must be between 1 and {MAX_PAGE}, got {raw}")
    return int(raw)


def _find(owners: Iterable[StoredOwner], key: str, *, by_user: bool) -> StoredOwner | None:
    if not key.isdigit():
        return None
    for owner in owners:
        if (owner.user_id if by_user else owner.id) == int(key):
            return owner
    return None
