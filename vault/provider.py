"""The KeyProvider contract: what envelope encryption needs from a key-management system.

Two implementations: `providers.local.LocalKeyring` (embedded default) and
`providers.transit.TransitKeyProvider` (Vault/OpenBao Transit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

_WRAPPED = re.compile(rb"^(vault|local):v(\d+):")


@dataclass(frozen=True)
class DataKey:
    """A freshly generated data-encryption key: plaintext for local use, wrapped for storage."""

    plaintext: bytes
    wrapped: bytes


@dataclass
class ProviderStatus:
    provider: str
    reachable: bool
    latest_version: int | None = None
    min_decryption_version: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a versioned key-encryption key, and computes keyed MACs."""

    name: str

    def generate_data_key(self) -> DataKey:
        """A new 256-bit data key, returned both in plaintext and wrapped under the newest KEK."""
        ...

    def unwrap(self, wrapped: bytes) -> bytes:
        """The plaintext of a wrapped data key; IntegrityFailure if it does not authenticate."""
        ...

    def rewrap(self, wrapped: bytes) -> bytes:
        """The same data key wrapped under the newest KEK version, without exposing it to us."""
        ...

    def mac(self, purpose: str, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` under a key dedicated to `purpose`, stable across KEK rotation."""
        ...

    def rotate(self) -> int:
        """Add a new KEK version; returns it. Old versions keep decrypting."""
        ...

    def set_min_decryption_version(self, version: int) -> None:
        """Refuse to unwrap anything wrapped under an older KEK version."""
        ...

    def trim(self) -> int:
        """Destroy KEK versions below min_decryption_version for good; returns how many."""
        ...

    def rewrap_many(self, wrapped: list[bytes]) -> list[bytes | Exception]:
        """`rewrap` for a batch, one result (or the error) per input, in order."""
        ...

    def status(self) -> ProviderStatus: ...


def wrap_prefix(provider: KeyProvider) -> str:
    """The prefix `provider`'s wrapped data keys carry (what `wrapped_version` reads back)."""
    return "vault" if provider.name == "transit" else "local"


def wrapped_version(wrapped: bytes) -> tuple[str, int]:
    """(provider prefix, KEK version) of a wrapped data key: `vault:v3:...` -> ("vault", 3)."""
    match = _WRAPPED.match(wrapped)
    if match is None:
        return ("unknown", 0)
    return (match.group(1).decode(), int(match.group(2)))
