"""The URIs in a client's metadata that the server itself will call: back-channel logout,
jwks_uri, sector_identifier_uri. Checked when they are registered, through the same SSRF guard
the calls go through, so an integrator hears at once that one cannot be reached instead of
meeting a logout that silently never arrives.

A name that does not resolve yet is accepted with a warning (apps are often registered before
their DNS exists, and the guard checks again at every call); an address literal, or a name
that resolves to an address the guard refuses, is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from idp.errors import InvalidMetadata
from idp.outbound import AddressRefused, OutboundClient, OutboundRefused, Unresolved

OUTBOUND_URIS = ("backchannel_logout_uri", "jwks_uri", "sector_identifier_uri")

Warn = Callable[[str], None]


class ClientUriCheck:
    def __init__(self, outbound: OutboundClient, allow_setting: str = "the allowed networks"):
        self._outbound = outbound
        self._allow_setting = allow_setting  # named in refusals: what an operator would change

    def check(
        self, meta: Mapping[str, Any], *, changed: Collection[str], warn: Warn | None = None
    ) -> None:
        """Refuse (InvalidMetadata) the `changed` outbound URIs in `meta` the guard would
        block; `warn` about those whose host does not resolve yet."""
        for field in OUTBOUND_URIS:
            uri = meta.get(field)
            if field in changed and uri:
                self._reachable(field, str(uri), warn)

    def _reachable(self, field: str, uri: str, warn: Warn | None) -> None:
        try:
            self._outbound.vet(uri)
        except Unresolved as exc:
            if warn is not None:
                warn(
                    f"{field} {uri}: {exc.host} does not resolve yet; every call checks it"
                    f" again (a private address needs its network in {self._allow_setting})"
                )
        except AddressRefused as exc:
            raise InvalidMetadata(f"{field} {uri} is refused: {exc}; {self._remedy(exc)}") from exc
        except OutboundRefused as exc:
            raise InvalidMetadata(f"{field} {uri} is refused: {exc}") from exc

    def _remedy(self, exc: AddressRefused) -> str:
        if not exc.allowable:
            return "outbound calls never go there"
        address = exc.address.split("%")[0]  # without an IPv6 zone
        prefix = 128 if ":" in address else 32
        return (
            "outbound calls reach only global unicast addresses and the networks listed in"
            f" {self._allow_setting} (add {address}/{prefix}, or its network, to allow it)"
        )
