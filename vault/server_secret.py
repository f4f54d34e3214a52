"""The server secret: one random 256-bit key, stored wrapped like a data key, for every keyed
value that must survive a change of key provider.

Pairwise `sub`s, recovery-code hashes, the CSRF key and the rate-limit key are MACs that end
up in relying parties' databases, on paper, or in open forms. A MAC computed by the provider
(`KeyProvider.mac`) changes when a deployment moves from the local keyring to Transit (Transit
keys are not exportable), so those values are keyed by this secret instead. It lives in
`vault_subject_keys` under SUBJECT, wrapped by the provider: KEK rotation, `vault rewrap` and
`vault migrate-to-transit` re-wrap it like any other data key, so its plaintext (never at rest)
and every value derived from it stay the same. It is unwrapped once and kept in memory.

Blind indexes stay on `KeyProvider.mac` (the key never leaves Transit); the migration
recomputes them.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable

from vault.errors import IntegrityFailure, KeyUnavailable, SubjectErased
from vault.keystore import SubjectKeyStore
from vault.provider import DataKey, KeyProvider, wrap_prefix, wrapped_version

SUBJECT = "system:server-secret"


def derive_mac(root: bytes, purpose: str, data: bytes) -> bytes:
    """HMAC-SHA256 of `data` under a per-purpose key derived from `root` (as LocalKeyring.mac)."""
    key = hmac.new(root, b"purpose:" + purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, data, hashlib.sha256).digest()


class ServerSecret:
    """`mac(purpose, data)` keyed by the wrapped server secret, created on first use."""

    def __init__(
        self,
        store: SubjectKeyStore,
        provider: KeyProvider,
        *,
        seed: Callable[[], DataKey] | None = None,
    ) -> None:
        # `seed` makes the first secret of an existing local-keyring deployment its MAC key,
        # so the values it derived before this secret existed do not change.
        self._store, self._provider = store, provider
        self._seed = seed or provider.generate_data_key
        self._root: bytes | None = None
        self._lock = threading.Lock()

    def root(self) -> bytes:
        with self._lock:
            if self._root is None:
                self._root = self._load_or_create()
            return self._root

    def mac(self, purpose: str, data: bytes) -> bytes:
        return derive_mac(self.root(), purpose, data)

    def key(self, purpose: str) -> bytes:
        """A 256-bit key for `purpose` (same value as the former `provider.mac(purpose, b"v1")`)."""
        return self.mac(purpose, b"v1")

    def _load_or_create(self) -> bytes:
        row = self._store.get(SUBJECT)
        if row is None:
            fresh = self._seed()
            row = self._store.insert(SUBJECT, fresh.wrapped)
            if row.wrapped_dek == fresh.wrapped:
                return fresh.plaintext
        if row.wrapped_dek is None:
            raise SubjectErased(SUBJECT)
        prefix = wrapped_version(row.wrapped_dek)[0]
        expected = wrap_prefix(self._provider)
        if prefix != expected:
            raise KeyUnavailable(
                f"the server secret is wrapped by the {prefix!r} provider, not {expected!r}: "
                "finish `satupintu vault migrate-to-transit` first"
            )
        try:
            return self._provider.unwrap(row.wrapped_dek)
        except IntegrityFailure as exc:
            raise IntegrityFailure("the wrapped server secret does not authenticate") from exc
