"""Connection failures described in words: which host and port, and what is wrong with a certificate.

urllib3's own texts name a connection object and requests' texts carry the URL with its query string, so
neither is shown to people. The connections of :mod:`connector.systems.network` raise these subclasses of
urllib3's and ssl's exceptions instead (every client library classifies them as before), each with a
``description`` that is safe to log and to put in an error message; :func:`failure_text` finds it in a
client library's exception, however deeply wrapped.
"""

from __future__ import annotations

import socket
import ssl

from urllib3.connection import HTTPConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from connector.errors import ConfigError

_TRUST_ADVICE = "set {table}.ca_bundle to the CA that signed it"
_CERTIFICATE_ADVICE = {
    2: _TRUST_ADVICE,  # unable to get issuer certificate
    10: "the server's certificate has expired",
    18: _TRUST_ADVICE,  # self-signed certificate
    19: _TRUST_ADVICE,  # self-signed certificate in chain
    20: _TRUST_ADVICE,  # unable to get local issuer certificate
    21: _TRUST_ADVICE,  # unable to verify the first certificate
    62: "the host in {table}'s URL must be a name the certificate is issued for",
}
"""OpenSSL verify codes → what the admin can do about them."""


class UntrustedCertificateError(ssl.SSLCertVerificationError):
    """A failed certificate check; ``description`` names host, port, the problem and what to set."""

    def __init__(self, description: str, *, verify_code: int | None, verify_message: str) -> None:
        super().__init__(ssl.SSL_ERROR_SSL, description)  # (errno, strerror): str() is the description
        self.description = description
        self.verify_code, self.verify_message = verify_code, verify_message


class UnresolvedHostError(NameResolutionError):
    def __init__(self, host: str, conn: HTTPConnection, reason: socket.gaierror) -> None:
        super().__init__(host, conn, reason)
        self.description = f"cannot resolve {host} ({reason.strerror or reason})"


class ConnectFailedError(NewConnectionError):
    """Refused, unreachable: ``description`` names host and port (the urllib3 text names an object)."""

    def __init__(self, conn: HTTPConnection, description: str) -> None:
        super().__init__(conn, description)
        self.description = description


class ConnectTimedOutError(ConnectTimeoutError):
    def __init__(self, conn: HTTPConnection, description: str) -> None:
        super().__init__(conn, description)
        self.description = description


_DESCRIBED = (UntrustedCertificateError, UnresolvedHostError, ConnectFailedError, ConnectTimedOutError)


def untrusted_certificate(
    exc: ssl.SSLCertVerificationError, host: str, port: int, table: str
) -> UntrustedCertificateError:
    """``exc`` (a failed certificate check of ``host:port``) with the problem and what to do about it,
    naming the keys of the config ``table`` to change."""
    code = getattr(exc, "verify_code", None)
    problem = getattr(exc, "verify_message", None) or str(exc)
    text = f"certificate verify failed: {problem} for {host}:{port}"
    advice = _CERTIFICATE_ADVICE.get(code or 0)
    if advice:
        text += f" — {advice.format(table=table)}"
    return UntrustedCertificateError(text, verify_code=code, verify_message=problem)


def failure_text(exc: BaseException) -> str:
    """What went wrong with a request, in words: a refused destination's message, :func:`describe_failure`,
    else the exception's type. Never a client library's own text: it holds URLs with queries, and bodies.
    """
    if isinstance(exc, ConfigError):
        return str(exc)
    return describe_failure(exc) or type(exc).__name__


def describe_failure(exc: BaseException) -> str | None:
    """The description revloop gave a connection failure somewhere among the causes of ``exc``, if any."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _DESCRIBED):
            return current.description
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        pending += [cause for cause in linked if isinstance(cause, BaseException)]
    return None
