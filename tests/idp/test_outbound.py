"""The SSRF guard in front of every outbound call: global unicast only, IPv4 addresses carried
inside IPv6 ones included. No request leaves the machine: the transport is replaced by `wire`,
which records where a call would have connected."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest

from idp.outbound import (
    AddressRefused,
    OutboundClient,
    OutboundPolicy,
    OutboundRefused,
    Unresolved,
)

HOSTILE = [
    # IPv4 carried inside IPv6
    "http://[64:ff9b::7f00:1]/",  # NAT64 (RFC 6052) of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of the cloud metadata address
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[64:ff9b:1:7f00:0:100::]/",  # local-use NAT64 (RFC 8215) of 127.0.0.1
    "http://[64:ff9b:1:808:8:800::]/",  # local-use NAT64 prefix: never global, whatever it carries
    "http://[2002:7f00:1::]/",  # 6to4 (RFC 3056) of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
    "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated, RFC 4291 §2.5.5.1)
    "http://[::808:808]/",  # IPv4-compatible, even of a global address
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:10.0.0.1]:8080/",
    "http://[::ffff:0:7f00:1]/",  # IPv4-translated (SIIT)
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo (RFC 4380)
    "http://[2001::1]/",
    # IPv6 that is not global unicast
    "http://[fec0::1]/",  # site-local (deprecated, RFC 3879)
    "http://[fc00::1]/",  # unique local
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",  # link-local
    "http://[::1]/",
    "http://[::]/",
    "http://[ff02::1]/",  # multicast
    "http://[ff0e::1]/",  # global-scope multicast
    "http://[100::1]/",  # discard-only
    "http://[2001:db8::1]/",  # documentation
    # IPv4
    "http://127.0.0.1:9/x",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://127.1/",
    "http://169.254.169.254/latest",
    "http://10.0.0.1/",
    "http://100.64.0.1/",  # shared address space (CGNAT)
    "http://192.168.1.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://255.255.255.255/",
    "http://localhost/",  # a name that resolves to loopback
    "ftp://example.org/",
]

GLOBAL = [
    "http://8.8.8.8/",
    "https://1.1.1.1/",
    "http://[2001:4860:4860::8888]/",
    "https://[2606:4700:4700::1111]:8443/jwks",
    "http://[64:ff9b::808:808]/",  # NAT64 of 8.8.8.8: what DNS64 answers on IPv6-only networks
    "http://[2002:808:808::1]/",  # 6to4 of 8.8.8.8
    "http://[::ffff:8.8.8.8]/",  # 8.8.8.8, written for an IPv6 socket
]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts a call connected to; the call itself is answered 200 without a network."""
    connected: list[str] = []

    def handle_request(self: object, request: httpx.Request) -> httpx.Response:
        connected.append(request.url.host)
        return httpx.Response(200, content=b"{}", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return connected


@pytest.mark.parametrize("url", HOSTILE)
def test_guard_refuses_non_global_addresses_in_every_form(url: str, wire: list[str]) -> None:
    with pytest.raises(OutboundRefused):
        OutboundClient(OutboundPolicy()).request("GET", url)
    assert wire == [], f"{url} was connected to"


@pytest.mark.parametrize("url", GLOBAL)
def test_guard_lets_global_unicast_through(url: str, wire: list[str]) -> None:
    resp = OutboundClient(OutboundPolicy()).request("GET", url)
    assert resp.status_code == 200 and len(wire) == 1


def test_a_refusal_names_the_ipv4_address_an_ipv6_one_carries() -> None:
    guard = OutboundClient(OutboundPolicy())
    with pytest.raises(AddressRefused, match=r"NAT64 address of 127\.0\.0\.1, a loopback"):
        guard.vet("http://[64:ff9b::7f00:1]/")
    with pytest.raises(AddressRefused, match=r"localhost resolves to 127\.0\.0\.1, a loopback"):
        guard.vet("http://localhost:8000/")
    with pytest.raises(Unresolved):
        guard.vet("https://ktp.invalid/backchannel-logout")  # RFC 2606: never resolves


GOVERNMENT = (ip_network("10.20.0.0/16"), ip_network("127.0.0.0/8"), ip_network("::1/128"))


@pytest.mark.parametrize(
    "url",
    [
        "http://10.20.5.5/bc",
        "http://127.0.0.1:8000/bc",
        "http://localhost:8000/bc",
        "http://[::1]/bc",
        "http://[::ffff:10.20.0.9]/bc",  # 10.20.0.9 itself
        "http://[64:ff9b::a14:909]/bc",  # NAT64 of 10.20.9.9
    ],
)
def test_an_allowed_network_lets_its_addresses_through(url: str, wire: list[str]) -> None:
    guard = OutboundClient(OutboundPolicy(allow_networks=GOVERNMENT))
    assert guard.request("POST", url).status_code == 200 and len(wire) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://10.21.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest",
        "http://[fd00::1]/",
        "http://[::2]/",  # IPv4-compatible 0.0.0.2, not ::1
        "http://[64:ff9b::a15:1]/",  # NAT64 of 10.21.0.1
    ],
)
def test_outside_the_allowed_networks_stays_refused(url: str, wire: list[str]) -> None:
    with pytest.raises(AddressRefused) as refused:
        OutboundClient(OutboundPolicy(allow_networks=GOVERNMENT)).request("GET", url)
    assert refused.value.allowable and wire == []


@pytest.mark.parametrize(
    "url",
    [
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[::ffff:224.0.0.251]/",
        "http://[64:ff9b::e000:1]/",  # NAT64 of 224.0.0.1
    ],
)
def test_multicast_and_unspecified_never_pass(url: str, wire: list[str]) -> None:
    everything = OutboundPolicy(allow_networks=(ip_network("0.0.0.0/0"), ip_network("::/0")))
    with pytest.raises(AddressRefused) as refused:
        OutboundClient(everything).request("GET", url)
    assert not refused.value.allowable and wire == []
