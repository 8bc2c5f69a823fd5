"""Where a Triton Inference Server is, as a user writes it: `triton://HOST:PORT` (plain gRPC,
for a machine on the same network) or `triton+tls://HOST:PORT` (TLS, for anything further).

Nothing but this address decides whether face crops leave the machine: it is never filled in
for the user, and a provider that is not one of these is a local one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SCHEMES = {"triton": False, "triton+tls": True}   # scheme → TLS
DEFAULT_PORT = 8001                               # Triton's gRPC port


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """A Triton server's gRPC endpoint."""

    host: str
    port: int
    tls: bool

    @property
    def target(self) -> str:
        """HOST:PORT as gRPC takes it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"{'triton+tls' if self.tls else 'triton'}://{self.target}"


def is_server(provider: str) -> bool:
    """Whether a provider setting names a server rather than a local provider."""
    return provider.split("://", 1)[0] in SCHEMES and "://" in provider


def parse_address(text: str) -> ServerAddress:
    """`triton://HOST:PORT` or `triton+tls://HOST:PORT` (port 8001 if left out).

    Raises:
        ValueError: saying what is wrong and what a good address looks like.
    """
    example = "write it as triton://HOST:PORT (or triton+tls://HOST:PORT for TLS)"
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in SCHEMES:
        raise ValueError(f"'{text}' is not a Triton server address; {example}")
    if not rest:
        raise ValueError(f"'{text}' has no host; {example}")
    if "/" in rest or "@" in rest or "?" in rest:
        raise ValueError(f"'{text}': only a host and a port may follow '{scheme}://' (the "
                         f"token goes in LIVECAM_TRITON_TOKEN, never in the address); {example}")
    if rest.startswith("["):   # [IPv6]:PORT
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ("" if not tail else "x")
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not host:
        raise ValueError(f"'{text}' has no host; {example}")
    if port_text and not port_text.isdigit():
        raise ValueError(f"'{text}': the port must be a number; {example}")
    port = int(port_text) if port_text else DEFAULT_PORT
    if not 0 < port < 65536:
        raise ValueError(f"'{text}': the port must be from 1 to 65535; {example}")
    return ServerAddress(host, port, SCHEMES[scheme])
