"""Which network addresses revloop may connect to: public ones, unless a system allows private ones.

A base module (it imports nothing from revloop), shared by the offline config check of base URLs
(:mod:`connector.settings`) and the connect-time check of every socket (:mod:`connector.systems.network`).

Host strings are read the way the C resolver reads them, because that is what the HTTP clients end up
calling: ``getaddrinfo`` accepts IPv4 in ``inet_aton`` forms (``127.1``, ``2130706433``, ``0x7f.1``,
``0177.0.0.1``), and an IPv6 address may carry an IPv4 one (``::ffff:127.0.0.1``, 6to4, NAT64), which is
judged by the IPv4 address it leads to.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_INET_ATON_FORM = re.compile(r"^(?:0[xX][0-9a-fA-F]+|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]+|[0-9]+)){0,3}$")
"""One to four dot-separated decimal, octal (leading 0) or hex (0x) parts: what inet_aton accepts. The
pattern keeps out the trailing text glibc's inet_aton would silently ignore."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix (RFC 6052): an IPv6-only network reaches IPv4 a.b.c.d at 64:ff9b::a.b.c.d."""

_LOCALHOST_NAMES = ("localhost", "localhost.localdomain")


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` denotes when it is an address literal (IPv4 in any inet_aton form, IPv6 with or
    without brackets or a zone), else None: a name, judged only once it is resolved."""
    host = host.strip().removeprefix("[").removesuffix("]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _INET_ATON_FORM.match(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:  # a part out of range (256.1.1.1, 08): the resolver would treat it as a name
        return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public destination ("a loopback address", ...), or None when it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "an address that is not publicly routable"),
    )
    return next((why for matched, why in checks if matched), None)


def host_refusal(host: str) -> str | None:
    """Why a URL's ``host`` is refused without a lookup: a private literal, or a name every resolver maps to
    loopback (``localhost``). None for a public literal or any other name (checked when connecting)."""
    name = host.strip().rstrip(".").lower()
    if name in _LOCALHOST_NAMES or name.endswith(".localhost"):
        return "a loopback address"
    address = literal_address(host.rstrip("."))
    return refusal(address) if address is not None else None


def describe(host: str) -> str:
    """``host`` for messages: an unusual literal with the address it stands for (``127.1 (127.0.0.1)``)."""
    address = literal_address(host)
    if address is None or str(address) == host.strip("[]"):
        return host
    return f"{host} ({address})"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4 or NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
