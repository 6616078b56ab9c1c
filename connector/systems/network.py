"""Every connection revloop opens to a system: its address checked, each request logged, failures in words.

Both HTTP stacks end in urllib3 connection pools: requests (Salesforce, Marketo) through
:class:`GuardedAdapter`, which :class:`connector.systems.http.PinnedSession` mounts, and hubspot-api-client
through its own PoolManagers, which :func:`guard_pool_manager` re-points. Their pools open connections
that check the address actually connected to:

- the host is resolved once and every resolved address is checked before a socket is connected to it,
  and the socket connects to exactly that address, so a DNS answer that changes between a check and the
  connection (DNS rebinding) gains nothing. This holds for every connection, a redirect's included;
- loopback, private, link-local, reserved, multicast and unspecified addresses are refused unless the
  system's ``allow_private_network`` is true; a refusal is a ConfigError naming host, address and its
  class. Through an HTTP proxy the proxy resolves the host: only a literal or ``localhost`` is refused.

Each request is logged at DEBUG (method, host, port, path without the query string, status, time); a
connection that fails says which host and port, and a TLS failure says what is wrong with the
certificate and what to set.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import allowed_gai_family, create_connection

from connector.addresses import describe, host_refusal, refusal
from connector.errors import ConfigError
from connector.settings import SystemSettings
from connector.systems.connect_errors import (
    ConnectFailedError,
    ConnectTimedOutError,
    UnresolvedHostError,
    failure_text,
    untrusted_certificate,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectPolicy:
    """Where the connections of one system may go.

    ``system`` is the system's configured name (log lines and messages start with it); ``table`` the
    config table that sets ``allow_private_network`` and ``ca_bundle`` for it, in hints.
    """

    system: str
    allow_private_network: bool = False
    table: str = ""

    @classmethod
    def of(cls, name: str, kind: str, settings: SystemSettings) -> ConnectPolicy:
        """The policy of the system configured as ``name``: the [kind] table, or [systems.<name>]."""
        return cls(name, settings.allow_private_network, name if name == kind else f"systems.{name}")

    @property
    def config_table(self) -> str:
        return self.table or self.system

    def admits(self, address: str) -> bool:
        """Whether a resolved address may be connected to."""
        return self.allow_private_network or refusal(ipaddress.ip_address(address)) is None

    def refused(self, host: str, port: int, addresses: list[str]) -> ConfigError:
        """The error for a host none of whose ``addresses`` is admitted."""
        classes = ", ".join(f"{a} ({refusal(ipaddress.ip_address(a))})" for a in dict.fromkeys(addresses))
        return self._refusal(f"{describe(host)}:{port}: it resolves to {classes}")

    def check_name(self, host: str, port: int) -> None:
        """The check left when a proxy resolves ``host``: a literal or ``localhost`` only."""
        refused = None if self.allow_private_network else host_refusal(host)
        if refused:
            raise self._refusal(f"{describe(host)}:{port}: it is {refused}")

    def _refusal(self, what: str) -> ConfigError:
        return ConfigError(
            f"{self.system}: refused to connect to {what}; revloop connects only to public addresses "
            f"unless [{self.config_table}] allow_private_network = true"
        )


def open_checked_socket(host: str, port: int, policy: ConnectPolicy, **options: Any) -> socket.socket:
    """Resolve ``host`` once, then connect to the first admitted address that answers (see module doc)."""
    infos = socket.getaddrinfo(host.strip("[]"), port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    admitted = [address for address in addresses if policy.admits(address)]
    if not admitted:
        raise policy.refused(host, port, addresses) if addresses else OSError("no address found")
    error: OSError | None = None
    for address in dict.fromkeys(admitted):
        try:
            return create_connection((address, port), **options)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _CheckedConnect(HTTPConnection):
    """A connection that opens its socket with :func:`open_checked_socket` and says where it failed."""

    def __init__(self, *args: Any, policy: ConnectPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        if self.proxy is not None:  # connected to the proxy, which resolves the destination itself
            self.policy.check_name(self._tunnel_host or self.host, self._tunnel_port or self.port)
            return super()._new_conn()
        where = f"{self.host}:{self.port}"
        options = {"source_address": self.source_address, "socket_options": self.socket_options}
        try:
            sock = open_checked_socket(
                self._dns_host, self.port, self.policy, timeout=self.timeout, **options
            )
        except socket.gaierror as exc:
            raise UnresolvedHostError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimedOutError(
                self, f"connecting to {where} timed out after {self.timeout}s"
            ) from exc
        except OSError as exc:
            raise ConnectFailedError(self, f"could not connect to {where}: {exc.strerror or exc}") from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class GuardedHTTPConnection(_CheckedConnect):
    pass


class GuardedHTTPSConnection(_CheckedConnect, HTTPSConnection):
    def connect(self) -> None:
        try:
            super().connect()
        except ssl.SSLCertVerificationError as exc:
            raise untrusted_certificate(exc, self.host, self.port, self.policy.config_table) from exc


class _LoggedPool(HTTPConnectionPool):
    """Logs every request at DEBUG: method, host, port, path (never the query string), status and time."""

    def __init__(
        self, host: str, port: int | None = None, *args: Any, policy: ConnectPolicy, **kw: Any
    ) -> None:
        self.policy = policy
        super().__init__(host, port, *args, policy=policy, **kw)

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        started = time.monotonic()
        where = f"{self.host}:{self.port}{_path(url)}"
        try:
            response = super().urlopen(method, url, *args, **kwargs)
        except Exception as exc:
            log.debug("%s: %s %s failed after %s: %s", self.policy.system, method, where, _ms(started),
                      failure_text(exc), extra={"system": self.policy.system})  # fmt: skip
            raise
        log.debug("%s: %s %s -> %s in %s", self.policy.system, method, where, response.status, _ms(started),
                  extra={"system": self.policy.system})  # fmt: skip
        return response


class GuardedHTTPConnectionPool(_LoggedPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(_LoggedPool, HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


def guard_pool_manager(manager: PoolManager, policy: ConnectPolicy) -> PoolManager:
    """Make every pool ``manager`` creates from now on a guarded, logged one."""
    manager.clear()
    manager.pool_classes_by_scheme = {  # type: ignore[assignment]
        "http": partial(GuardedHTTPConnectionPool, policy=policy),
        "https": partial(GuardedHTTPSConnectionPool, policy=policy),
    }
    return manager


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter whose pools, direct or through an HTTP proxy, are guarded."""

    __attrs__: ClassVar[list[str]] = [*HTTPAdapter.__attrs__, "policy"]

    def __init__(self, policy: ConnectPolicy) -> None:
        self.policy = policy  # before super().__init__, which builds the pool manager
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        guard_pool_manager(self.poolmanager, self.policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        known = proxy in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not known and not proxy.lower().startswith("socks"):  # SOCKS pools are their own classes
            guard_pool_manager(manager, self.policy)
        return manager


def _path(url: str) -> str:
    """The path of a request URL without its query string; a segment holding an email is masked."""
    path = urlsplit(url).path or "/"
    return "/".join("***" if "@" in segment else segment for segment in path.split("/"))


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f} ms"
