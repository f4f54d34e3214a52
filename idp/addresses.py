"""Which addresses an outbound call may reach: the rule behind the SSRF guard (idp/outbound.py).

Global unicast only, or an address inside a network the operator allowed; multicast and the
unspecified address never. An IPv6 address can carry an IPv4 one, and the packets then end up
at the IPv4 address: IPv4-mapped is that address, NAT64 (RFC 6052) and 6to4 (RFC 3056) reach it
through a gateway, so there the IPv4 address decides. IPv4-compatible (deprecated), local-use
NAT64 (RFC 8215) and Teredo (RFC 4380) are never a server's global address. Python's own
`is_global` does not suffice: 3.11 calls fec0::/10, 64:ff9b::/96, 2002::/16 and ff00::/8 global.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from typing import NamedTuple

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

GLOBAL_UNICAST = ip_network("2000::/3")  # RFC 4291 §2.4: all that IANA allocates for unicast
NAT64 = ip_network("64:ff9b::/96")
NAT64_LOCAL = ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ip_network("::/96")
GATEWAYS = ("NAT64", "6to4")  # forms whose carried IPv4 address is what is finally reached


class Refusal(NamedTuple):
    reason: str  # "a private address", ...
    allowable: bool  # whether allowing a network could let it through


def carried_ipv4(addr: IPv6Address) -> tuple[str, IPv4Address] | None:
    """The IPv4 address `addr` carries, with the name of the form; None if it carries none."""
    n = int(addr)
    if addr in NAT64:
        return "NAT64", IPv4Address(n & 0xFFFFFFFF)
    if addr in NAT64_LOCAL:  # a /48 prefix: bits 48-63, then 72-87 after the zero u-octet
        return "local-use NAT64", IPv4Address(((n >> 64) & 0xFFFF) << 16 | (n >> 40) & 0xFFFF)
    if addr.sixtofour is not None:
        return "6to4", addr.sixtofour
    if addr.teredo is not None:
        return "Teredo", addr.teredo[1]
    if addr in IPV4_COMPATIBLE and n > 1:  # not :: or ::1
        return "IPv4-compatible", IPv4Address(n)
    return None


def refusal(addr: Address, allowed: Sequence[Network] = ()) -> Refusal | None:
    """Why an outbound call may not go to `addr`; None when it may."""
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # the same address, as an IPv6 socket writes it
    carried = carried_ipv4(addr) if isinstance(addr, IPv6Address) else None
    for each in (addr, carried[1] if carried else None):
        if each is not None and each.is_multicast:
            return Refusal("a multicast address", allowable=False)
        if each is not None and each.is_unspecified:
            return Refusal("the unspecified address", allowable=False)
    if any(addr in net for net in allowed):
        return None
    if isinstance(addr, IPv4Address):
        return None if addr.is_global else Refusal(_kind(addr), allowable=True)
    if carried is not None:
        form, inner = carried
        if form not in GATEWAYS:
            return Refusal(f"a {form} address (of {inner}), never a server's", allowable=True)
        why = refusal(inner, allowed)
        if why is None:
            return None
        return why._replace(reason=f"a {form} address of {inner}, {why.reason}")
    if addr in GLOBAL_UNICAST and addr.is_global:
        return None
    return Refusal(_kind(addr), allowable=True)


def _kind(addr: Address) -> str:
    site_local = isinstance(addr, IPv6Address) and addr.is_site_local
    for name, yes in (
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("site-local", site_local),
        ("reserved", addr.is_reserved),
        ("private", addr.is_private),
    ):
        if yes:
            return f"a {name} address"
    return "not a global unicast address"
