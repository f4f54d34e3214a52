"""Outbound HTTP guarded against SSRF: back-channel logout, a client's jwks_uri, sector ids.

Only global unicast addresses are called (idp/addresses.py says which: IPv4 carried inside IPv6
is checked too), and those inside networks the operator allowed (the embedded default and the
tests allow loopback). The host is resolved once and the connection pinned to the checked
address, so DNS rebinding cannot swap it afterwards. Every call has a timeout and a
response-size limit.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from idp.addresses import Network, refusal
from idp.errors import IdpError


class OutboundRefused(IdpError):
    """The destination is not allowed, unreachable, too slow or answered too much."""

    code = "outbound_refused"


class Unresolved(OutboundRefused):
    """The host has no address (yet): nothing was checked or called."""

    code = "outbound_unresolved"

    def __init__(self, host: str) -> None:
        super().__init__(f"cannot resolve {host}")
        self.host = host


class AddressRefused(OutboundRefused):
    """The guard will not call this address."""

    code = "outbound_address_refused"

    def __init__(self, host: str, address: str, reason: str, *, allowable: bool) -> None:
        said = (
            f"{address} is {reason}"
            if host == address
            else f"{host} resolves to {address}, {reason}"
        )
        super().__init__(said)
        self.host, self.address, self.reason, self.allowable = host, address, reason, allowable


@dataclass(frozen=True)
class OutboundPolicy:
    # Where private addresses may be called too (apps on a government network); never multicast.
    allow_networks: tuple[Network, ...] = ()
    timeout: float = 5.0
    max_bytes: int = 512 * 1024


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    addresses: tuple[str, ...]  # every address the host resolved to, each one checked


class OutboundClient:
    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy

    def vet(self, url: str) -> Destination:
        """Resolve `url`'s host and check every address it has, without calling it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundRefused("only absolute http(s) URLs")
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise OutboundRefused("invalid port") from exc
        try:
            ips: list[str] = [str(ipaddress.ip_address(host))]  # a literal: judged as written
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise Unresolved(host) from exc
            ips = sorted({str(info[4][0]) for info in infos})
        for ip in ips:
            why = refusal(ipaddress.ip_address(ip), self.policy.allow_networks)
            if why is not None:
                raise AddressRefused(host, ip, why.reason, allowable=why.allowable)
        return Destination(host, port, tuple(ips))

    def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        dest = self.vet(url)
        host, ip = dest.host, dest.addresses[0]
        parts = urlsplit(url)
        # Connect to the checked address; keep the name for Host and TLS (SNI + verification).
        pinned = parts._replace(netloc=_netloc(ip, parts.port)).geturl()
        hdrs = {"Host": parts.netloc, **(headers or {})}
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        try:
            with httpx.Client(timeout=self.policy.timeout, follow_redirects=False) as http:
                req = http.build_request(
                    method, pinned, data=data, headers=hdrs, extensions=extensions
                )
                resp = http.send(req, stream=True)
                try:
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body.extend(chunk)
                        if len(body) > self.policy.max_bytes:
                            raise OutboundRefused("response too large")
                finally:
                    resp.close()
                return httpx.Response(resp.status_code, headers=resp.headers, content=bytes(body))
        except httpx.HTTPError as exc:
            raise OutboundRefused(f"{type(exc).__name__}") from exc

    def get_json(self, url: str) -> object:
        resp = self.request("GET", url, headers={"Accept": "application/json"})
        if resp.status_code != 200:
            raise OutboundRefused(f"HTTP {resp.status_code}")
        try:
            return resp.json()
        except ValueError as exc:
            raise OutboundRefused("not JSON") from exc


def _netloc(ip: str, port: int | None) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{port}" if port else host
