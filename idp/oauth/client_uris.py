"""The URIs in a client's metadata that the server itself will call: back-channel logout,
jwks_uri, sector_identifier_uri. Checked when they are registered, through the same SSRF guard
the calls go through, so an integrator hears at once that one cannot be reached instead of
meeting a logout that silently never arrives.

A name that does not resolve yet is accepted with a warning (apps are often registered before
their DNS exists, and the guard checks again at every call); an address literal, or a name
that resolves to an address the guard refuses, is refused.

The sector_identifier_uri is fetched now, the one time it is used (OIDC Dynamic Client
Registration §5): a JSON array that lists every redirect URI, so that the apps sharing a sector
(and so their users' pairwise `sub`) are the ones its owner names. A pairwise client on more
than one host must have one (OIDC Core §8.1).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from idp.errors import InvalidMetadata
from idp.outbound import AddressRefused, OutboundClient, OutboundRefused, Unresolved

CALLED_LATER = ("backchannel_logout_uri", "jwks_uri")
OUTBOUND_URIS = (*CALLED_LATER, "sector_identifier_uri")
SECTOR_INPUTS = ("sector_identifier_uri", "redirect_uris", "subject_type")
CHECKED = (*CALLED_LATER, *SECTOR_INPUTS)  # a change to one of these is checked again

Warn = Callable[[str], None]


class ClientUriCheck:
    def __init__(self, outbound: OutboundClient, allow_setting: str = "the allowed networks"):
        self._outbound = outbound
        self._allow_setting = allow_setting  # named in refusals: what an operator would change

    def check(
        self, meta: Mapping[str, Any], *, changed: Collection[str], warn: Warn | None = None
    ) -> None:
        """Refuse (InvalidMetadata) the `changed` outbound URIs in `meta` the guard would
        block, and a sector that does not hold; `warn` about hosts that do not resolve yet."""
        for field in CALLED_LATER:
            uri = meta.get(field)
            if field in changed and uri:
                self._reachable(field, str(uri), warn)
        if any(field in changed for field in SECTOR_INPUTS):
            self._sector(meta)

    def _sector(self, meta: Mapping[str, Any]) -> None:
        redirects = [str(u) for u in meta.get("redirect_uris") or []]
        uri = meta.get("sector_identifier_uri")
        if not uri:
            hosts = {urlsplit(u).hostname for u in redirects}  # as Client.sector_identifier
            if meta.get("subject_type") == "pairwise" and len(hosts) > 1:
                named = ", ".join(sorted(h or "(no host)" for h in hosts))
                raise InvalidMetadata(
                    f"a pairwise client whose redirect_uris span more than one host ({named})"
                    " must register a sector_identifier_uri that lists them (OIDC Core section 8.1)"
                )
            return
        try:
            listed = self._outbound.get_json(str(uri))
        except AddressRefused as exc:
            raise InvalidMetadata(
                f"sector_identifier_uri {uri} is refused: {exc}; {self._remedy(exc)}"
            ) from exc
        except OutboundRefused as exc:
            raise InvalidMetadata(
                f"sector_identifier_uri {uri} could not be fetched: {exc}"
            ) from exc
        if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
            raise InvalidMetadata(
                f"sector_identifier_uri {uri} must answer a JSON array of redirect URIs"
            )
        missing = [u for u in redirects if u not in listed]
        if missing:
            raise InvalidMetadata(
                f"sector_identifier_uri {uri} does not list {', '.join(missing)}: it must"
                " list every one of the client's redirect_uris"
                " (OIDC Dynamic Client Registration section 5)"
            )

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
