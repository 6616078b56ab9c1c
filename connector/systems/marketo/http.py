"""Marketo's wire layer: the access token, the envelope, the URI limit; every call goes through the guard.

Token requests are POSTed with ``grant_type``, ``client_id`` and ``client_secret`` as a form body
(Marketo's identity endpoint accepts POST as well as the documented GET), so the secret is never part
of a URL that a proxy, urllib3's DEBUG log or an exception could show. The token is sent only in the
``Authorization: Bearer`` header and is registered for redaction as soon as it arrives.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import requests

from connector.errors import AuthError, ConfigError, TransientError
from connector.logs import redact, register_secret
from connector.systems.connect_errors import describe_failure
from connector.systems.guard import CallGuard
from connector.systems.http import PinnedSession
from connector.systems.marketo.errors import (
    SYSTEM,
    UriTooLongError,
    classify_transport,
    envelope_error,
    http_error,
)
from connector.systems.marketo.settings import MarketoSettings

MAX_URI_CHARS = 8000
"""Marketo refuses URIs over 8 KB (414); longer reads are sent as POST with ``_method=GET``."""
RENEW_MARGIN_S = 60.0
"""Fetch a new token this long before the current one expires."""
SPOOL_BYTES = 8 * 1024 * 1024
"""A downloaded export file stays in memory up to this size, then moves to a temporary file."""

Envelope = dict[str, Any]


class MarketoClient:
    """Authenticated JSON calls to one Marketo instance; thread-safe."""

    def __init__(
        self,
        settings: MarketoSettings,
        guard: CallGuard,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.rest_url = settings.base_url.rstrip("/") + "/v1/"
        self.asset_url = settings.base_url.rstrip("/") + "/asset/v1/"
        # Bulk endpoints are not under /rest: https://<munchkin>.mktorest.com/bulk/v1/
        self.bulk_url = settings.base_url.rstrip("/").removesuffix("/rest") + "/bulk/v1/"
        self._token_url = settings.identity_url.rstrip("/") + "/oauth/token"
        self._session = PinnedSession.for_system(settings, name=guard.system, kind=SYSTEM)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def __repr__(self) -> str:
        return f"MarketoClient(base_url={self.settings.base_url!r})"

    # ---- calls -----------------------------------------------------------------------------------
    def get(self, endpoint: str, path: str, params: Mapping[str, Any], *, asset: bool = False) -> Envelope:
        """A read. Query strings that would pass the 8 KB URI limit go as a form body with ``_method=GET``."""
        url = (self.asset_url if asset else self.rest_url) + path
        prepared = requests.Request("GET", url, params=params).prepare()
        if len(prepared.url or "") <= MAX_URI_CHARS:
            try:
                return self.call(endpoint, "GET", url, params=params)
            except UriTooLongError:
                pass  # the server's limit is lower than documented: fall through to the POST form
        return self.call(endpoint, "POST", url, params={"_method": "GET"}, data=params)

    def call(
        self,
        endpoint: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Envelope:
        """One guarded call; returns the envelope of a ``success: true`` answer or raises its error."""
        payload = json.dumps(body) if body is not None else None

        def send() -> Envelope:
            headers = {"Authorization": f"Bearer {self._token}"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            response = self._send(method, url, params=params, data=payload or data, headers=headers)
            return _envelope(response, endpoint)

        self._ensure_token()
        return self.guard.call(
            endpoint, send, classify=classify_transport, idempotent=idempotent, refresh_auth=self._renew_token
        )

    def download(self, endpoint: str, url: str) -> IO[bytes]:
        """GET a file (a bulk export), streamed into a temporary file that is returned at offset 0.

        A retried download starts over in a new file. A status other than 200 (404: the job is unknown,
        not completed or its file expired) raises the classified RemoteError with that status; a JSON
        envelope instead of the file (an expired token) raises the envelope's error.
        """

        def fetch() -> IO[bytes]:
            headers = {"Authorization": f"Bearer {self._token}"}
            with self._send("GET", url, headers=headers, stream=True) as response:
                if response.status_code != 200:
                    raise http_error(response.status_code, endpoint=endpoint, body=response.text[:200])
                if "json" in response.headers.get("Content-Type", ""):
                    _envelope(response, endpoint)
                sink = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the caller's to close
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    sink.write(chunk)
            sink.seek(0)
            return sink

        self._ensure_token()
        return self.guard.call(endpoint, fetch, classify=classify_transport, refresh_auth=self._renew_token)

    # ---- the access token ------------------------------------------------------------------------
    def _ensure_token(self) -> None:
        with self._lock:
            if self._token is not None and self._clock() < self._renew_at:
                return
        self._renew_token()

    def _renew_token(self) -> None:
        """Fetch a token (also the guard's one refresh after 601/602); raises AuthError when refused."""
        client_id = self.settings.secret("client_id")
        client_secret = self.settings.secret("client_secret")
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}

        def fetch() -> tuple[str, float]:
            response = self._send("POST", self._token_url, data=form, headers={"Accept": "application/json"})
            return _token_answer(response)

        token, expires_in = self.guard.call("identity.token", fetch, classify=classify_transport)
        register_secret(token)
        now = self._clock()
        with self._lock:
            self._token = token
            # Marketo answers the same token with its remaining lifetime until it expires: when little
            # is left, use it to the end instead of asking again and again.
            margin = RENEW_MARGIN_S if expires_in > 2 * RENEW_MARGIN_S else 0.0
            self._renew_at = now + expires_in - margin

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(method, url, **kwargs)
        except requests.exceptions.SSLError as exc:
            problem = describe_failure(exc) or (
                f"the TLS certificate of {urlsplit(url).netloc} is not trusted; "
                "set marketo.ca_bundle to the CA that signed it"
            )
            raise ConfigError(f"marketo: {problem}") from None


def _envelope(response: requests.Response, endpoint: str) -> Envelope:
    if response.status_code != 200:
        raise http_error(
            response.status_code,
            endpoint=endpoint,
            body=response.text if "json" in response.headers.get("Content-Type", "") else "",
            retry_after=response.headers.get("Retry-After"),
        )
    body = _json(response, endpoint)
    if not body.get("success", False):
        raise envelope_error(body.get("errors") or [], endpoint=endpoint)
    return body


def _token_answer(response: requests.Response) -> tuple[str, float]:
    endpoint = "identity.token"
    if response.status_code == 401:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        detail = redact(body.get("error_description") or body.get("error") or "unauthorized")
        raise AuthError(
            f"{endpoint}: HTTP 401: the identity endpoint refused the client id or client secret ({detail}); "
            "check marketo.client_id_env/client_secret_env and the API user's LaunchPoint service",
            system=SYSTEM,
            status=401,
            endpoint=endpoint,
        )
    if response.status_code != 200:
        raise http_error(response.status_code, endpoint=endpoint)
    body = _json(response, endpoint)
    if "access_token" not in body:
        raise envelope_error(body.get("errors") or [], endpoint=endpoint)
    return str(body["access_token"]), float(body.get("expires_in", 3600))


def _json(response: requests.Response, endpoint: str) -> Envelope:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TransientError(
            f"{endpoint}: the answer is not a JSON object (HTTP {response.status_code})",
            system=SYSTEM,
            status=response.status_code,
            endpoint=endpoint,
        )
    return body
