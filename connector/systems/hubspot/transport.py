"""One HubSpot client per adapter, and the single path every HubSpot call takes through the call guard.

The client's API objects are built once (each one owns a urllib3 pool). urllib3's own retries are off:
the guard alone retries. Calls ask for the raw response (``_preload_content=False``) so the adapter reads
the exact JSON HubSpot sent and its rate-limit headers, and the client never logs response bodies
(records) at DEBUG, which it does only for preloaded responses. Each API's urllib3 PoolManager is
re-pointed at revloop's guarded pools (:func:`connector.systems.network.guard_pool_manager`): every
connection, a redirect's included, has its address checked, and every request is logged at DEBUG.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hubspot import HubSpot
from urllib3.util.retry import Retry

from connector.systems.guard import CallGuard, Classifier
from connector.systems.hubspot.errors import SYSTEM, classify
from connector.systems.hubspot.settings import HubSpotSettings
from connector.systems.network import ConnectPolicy, guard_pool_manager

DAILY_REMAINING_HEADER = "X-HubSpot-RateLimit-Daily-Remaining"

Request = Callable[..., Any]
"""A client method bound to its arguments; called with ``_preload_content`` and ``_request_timeout``."""


@contextmanager
def _urllib3_log_level_kept() -> Iterator[None]:
    """Each client Configuration() sets the process-wide ``urllib3`` logger to WARNING; undo that so
    building this adapter does not change how the rest of revloop logs."""
    urllib3_logger = logging.getLogger("urllib3")
    level = urllib3_logger.level
    try:
        yield
    finally:
        urllib3_logger.setLevel(level)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


class HubSpotTransport:
    """Builds the hubspot-api-client APIs and sends each request through the guard."""

    def __init__(self, settings: HubSpotSettings, guard: CallGuard) -> None:
        self.guard = guard
        self.base_url = settings.base_url.rstrip("/")
        self.timeout = (settings.timeout_s, settings.timeout_s)
        client = HubSpot(
            access_token=settings.secret("access_token"),
            host=self.base_url,
            ssl_ca_cert=str(settings.ca_bundle) if settings.ca_bundle else None,
            retry=Retry(total=False),
        )
        with _urllib3_log_level_kept():
            crm = client.crm
            self.objects = crm.objects.basic_api
            self.batch = crm.objects.batch_api
            self.search = crm.objects.search_api
            self.properties = crm.properties.core_api
            self.associations = crm.associations.v4.batch_api
            self.lists = crm.lists.lists_api
            self.memberships = crm.lists.memberships_api
            self.owners = crm.owners.owners_api
        policy = ConnectPolicy.of(guard.system, SYSTEM, settings)
        for api in self.apis():
            guard_pool_manager(api.api_client.rest_client.pool_manager, policy)

    def __repr__(self) -> str:
        return f"HubSpotTransport(base_url={self.base_url!r})"

    def apis(self) -> tuple[Any, ...]:
        """Every client API object this transport calls (each owns its urllib3 PoolManager)."""
        return (
            self.objects,
            self.batch,
            self.search,
            self.properties,
            self.associations,
            self.lists,
            self.memberships,
            self.owners,
        )

    def call(
        self,
        endpoint: str,
        request: Request,
        *,
        bucket: str = "default",
        idempotent: bool = True,
        classifier: Classifier = classify,
    ) -> Answer:
        """Send one request under the guard; returns its status and parsed JSON body."""

        def attempt() -> Answer:
            response = request(_preload_content=False, _request_timeout=self.timeout)
            data = response.data
            remaining = response.headers.get(DAILY_REMAINING_HEADER)
            if remaining is not None and remaining.isdigit():
                self.guard.observe_vendor_remaining(int(remaining))
            return Answer(response.status, json.loads(data) if data else None)

        return self.guard.call(endpoint, attempt, classify=classifier, bucket=bucket, idempotent=idempotent)
