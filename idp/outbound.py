"""Outbound HTTP guarded against SSRF: back-channel logout, a client's jwks_uri, sector ids.

Private, loopback, link-local and other non-global addresses are refused unless explicitly
allowed (the embedded default and the tests allow them). The host is resolved once and the
connection pinned to the checked address, so DNS rebinding cannot swap it afterwards.
Every call has a timeout and a response-size limit.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


class OutboundRefused(Exception):
    """The destination is not allowed, unreachable, too slow or answered too much."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    timeout: float = 5.0
    max_bytes: int = 512 * 1024


def _check_address(ip: str, allow_private: bool) -> None:
    addr = ipaddress.ip_address(ip)
    if allow_private:
        if addr.is_multicast or addr.is_unspecified:
            raise OutboundRefused(f"address {ip} is not allowed")
        return
    if not addr.is_global or addr.is_multicast:
        raise OutboundRefused(f"address {ip} is private, loopback or link-local")


class OutboundClient:
    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy

    def _resolve(self, url: str) -> tuple[str, str, int]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundRefused("only absolute http(s) URLs")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OutboundRefused(f"cannot resolve {parts.hostname}") from exc
        ips = sorted({str(info[4][0]) for info in infos})
        for ip in ips:
            _check_address(ip, self.policy.allow_private)
        return parts.hostname, ips[0], port

    def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        host, ip, _port = self._resolve(url)
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
