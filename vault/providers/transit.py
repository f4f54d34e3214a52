"""TransitKeyProvider: the KEK lives in Vault/OpenBao Transit and never leaves it.

- Auth: a token, or AppRole (role_id + secret_id). The token is renewed (`renew-self`) once
  two thirds of its TTL have passed; when renewal is refused or the token expired (403), an
  AppRole deployment logs in again and retries the call once.
- Data keys: `datakey/plaintext` (one call gives the DEK and its wrapped form; `datakey/wrapped`
  would need a second `decrypt` round-trip before the first seal), `decrypt` to unwrap,
  `rewrap` in batches of at most BATCH (OpenBao refuses JSON with more than 1000 strings).
- MACs: `hmac` on a dedicated key `<key>-mac`, pinned to version 1, so rotating the KEK or
  raising its min_decryption_version never changes a blind index.
- Failures: unreachable, sealed, or refused -> KeyUnavailable (HTTP 503); a ciphertext the
  server rejects (tampered, unknown or too-old version) -> IntegrityFailure. The HTTP session
  reconnects by itself when the server is back.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import hvac
import hvac.exceptions as hx
import requests

from vault.errors import IntegrityFailure, KeyUnavailable
from vault.provider import DataKey, ProviderStatus

BATCH = 500
T = TypeVar("T")


class TransitKeyProvider:
    name = "transit"

    def __init__(
        self,
        client: hvac.Client,
        *,
        mount: str = "transit",
        key: str = "satupintu",
        role_id: str | None = None,
        secret_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client, self.mount, self.key = client, mount, key
        self.mac_key = f"{key}-mac"
        self._role_id, self._secret_id = role_id, secret_id
        self._now = monotonic
        self._lock = threading.Lock()
        self._renew_at: float | None = None  # None: token does not expire (root/dev token)
        self._ready = False

    @classmethod
    def from_settings(
        cls,
        *,
        addr: str,
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        mount: str = "transit",
        key: str = "satupintu",
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> TransitKeyProvider:
        if not token and not (role_id and secret_id):
            raise ValueError("Transit needs a token or an AppRole role_id and secret_id")
        client = hvac.Client(url=addr, token=token, timeout=timeout)
        return cls(
            client,
            mount=mount,
            key=key,
            role_id=role_id,
            secret_id=secret_id,
            monotonic=monotonic,
        )

    # -- authentication -----------------------------------------------------------------------
    def _login(self) -> None:
        if not (self._role_id and self._secret_id):
            raise KeyUnavailable("the Vault token expired or was refused and no AppRole is set")
        self._client.auth.approle.login(role_id=self._role_id, secret_id=self._secret_id)
        self._schedule_renewal()

    def _schedule_renewal(self) -> None:
        data = self._client.auth.token.lookup_self()["data"]
        ttl = int(data.get("ttl") or 0)
        self._renew_at = self._now() + ttl * 2 / 3 if ttl > 0 else None

    def _ensure_session(self) -> None:
        with self._lock:
            if not self._client.token:
                self._login()
            elif self._renew_at is None and not self._ready:
                self._schedule_renewal()
            elif self._renew_at is not None and self._now() >= self._renew_at:
                try:
                    self._client.auth.token.renew_self()
                    self._schedule_renewal()
                except (hx.Forbidden, hx.InvalidRequest):
                    self._login()  # past max TTL or revoked: a fresh AppRole login
            if not self._ready:
                self._ensure_keys()
                self._ready = True

    def _ensure_keys(self) -> None:
        for name in (self.key, self.mac_key):
            try:
                self._client.secrets.transit.read_key(name=name, mount_point=self.mount)
            except hx.InvalidPath:
                self._client.secrets.transit.create_key(
                    name=name, key_type="aes256-gcm96", mount_point=self.mount
                )

    def _call(self, fn: Callable[[], T], *, integrity: bool = False) -> T:
        """Run one Transit call, mapping failures to KeyUnavailable / IntegrityFailure."""
        for attempt in (1, 2):
            try:
                self._ensure_session()
                return fn()
            except hx.Forbidden as exc:
                if attempt == 2 or not self._role_id:
                    raise KeyUnavailable("Vault refused the token (expired or revoked)") from exc
                with self._lock:
                    self._client.token = None
            except (hx.InvalidRequest, hx.InternalServerError) as exc:
                if integrity:
                    raise IntegrityFailure("Transit rejected the ciphertext") from exc
                raise KeyUnavailable(f"Transit refused the request: {exc}") from exc
            except (hx.VaultDown, hx.VaultNotInitialized) as exc:
                raise KeyUnavailable("Vault is sealed or not initialised") from exc
            except hx.VaultError as exc:
                raise KeyUnavailable(f"Vault error: {type(exc).__name__}") from exc
            except requests.RequestException as exc:
                raise KeyUnavailable("Vault is unreachable") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def _transit(self) -> Any:
        return self._client.secrets.transit

    # -- KeyProvider --------------------------------------------------------------------------
    def generate_data_key(self) -> DataKey:
        data = self._call(
            lambda: self._transit.generate_data_key(
                name=self.key, key_type="plaintext", bits=256, mount_point=self.mount
            )
        )["data"]
        return DataKey(
            plaintext=base64.b64decode(data["plaintext"]), wrapped=data["ciphertext"].encode()
        )

    def unwrap(self, wrapped: bytes) -> bytes:
        if not wrapped.startswith(b"vault:v"):
            raise IntegrityFailure("not a Transit-wrapped data key")
        data = self._call(
            lambda: self._transit.decrypt_data(
                name=self.key, ciphertext=wrapped.decode(), mount_point=self.mount
            ),
            integrity=True,
        )["data"]
        return base64.b64decode(data["plaintext"])

    def rewrap(self, wrapped: bytes) -> bytes:
        result = self.rewrap_many([wrapped])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def rewrap_many(self, wrapped: list[bytes]) -> list[bytes | Exception]:
        out: list[bytes | Exception] = []
        for start in range(0, len(wrapped), BATCH):
            chunk = wrapped[start : start + BATCH]
            batch = [{"ciphertext": w.decode(errors="replace")} for w in chunk]
            call = partial(
                self._transit.rewrap_data,
                name=self.key,
                ciphertext=None,
                batch_input=batch,
                mount_point=self.mount,
            )
            results = self._call(call, integrity=True)["data"]["batch_results"]
            for item in results:
                if item.get("error") or not item.get("ciphertext"):
                    out.append(IntegrityFailure("Transit could not rewrap a data key"))
                else:
                    out.append(item["ciphertext"].encode())
        return out

    def wrap_many(self, plaintexts: list[bytes]) -> list[bytes]:
        """Wrap data keys that exist in plaintext already (migration from the local keyring)."""
        out: list[bytes] = []
        for start in range(0, len(plaintexts), BATCH):
            batch = [
                {"plaintext": base64.b64encode(p).decode()}
                for p in plaintexts[start : start + BATCH]
            ]
            call = partial(
                self._transit.encrypt_data, name=self.key, batch_input=batch, mount_point=self.mount
            )
            results = self._call(call)["data"]["batch_results"]
            for item in results:
                if item.get("error"):
                    raise KeyUnavailable("Transit could not wrap a data key")
                out.append(item["ciphertext"].encode())
        return out

    def mac(self, purpose: str, data: bytes) -> bytes:
        # Domain separation per purpose inside one pinned HMAC key: length-prefixed purpose.
        tagged = len(purpose).to_bytes(2, "big") + purpose.encode() + data
        result = self._call(
            lambda: self._transit.generate_hmac(
                name=self.mac_key,
                hash_input=base64.b64encode(tagged).decode(),
                key_version=1,
                algorithm="sha2-256",
                mount_point=self.mount,
            )
        )["data"]["hmac"]
        return base64.b64decode(result.split(":", 2)[2])

    def rotate(self) -> int:
        self._call(lambda: self._transit.rotate_key(name=self.key, mount_point=self.mount))
        return int(self._read()["latest_version"])

    def set_min_decryption_version(self, version: int) -> None:
        latest = int(self._read()["latest_version"])
        if not 1 <= version <= latest:
            raise ValueError("min_decryption_version must be between 1 and the latest version")
        self._call(
            lambda: self._transit.update_key_configuration(
                name=self.key, min_decryption_version=version, mount_point=self.mount
            )
        )

    def trim(self) -> int:
        info = self._read()
        minimum = int(info["min_decryption_version"])
        available_from = max(1, int(info.get("min_available_version") or 1))
        if minimum > 1:
            self._call(
                lambda: self._transit.update_key_configuration(
                    name=self.key, min_encryption_version=minimum, mount_point=self.mount
                )
            )
            self._call(
                lambda: self._transit.trim_key(
                    name=self.key, min_version=minimum, mount_point=self.mount
                )
            )
        return max(0, minimum - available_from)

    def _read(self) -> dict[str, Any]:
        return dict(
            self._call(lambda: self._transit.read_key(name=self.key, mount_point=self.mount))[
                "data"
            ]
        )

    def status(self) -> ProviderStatus:
        try:
            info = self._read()
        except KeyUnavailable as exc:
            return ProviderStatus(
                self.name, False, detail={"key": self.key, "mount": self.mount, "error": str(exc)}
            )
        return ProviderStatus(
            provider=self.name,
            reachable=True,
            latest_version=int(info["latest_version"]),
            min_decryption_version=int(info["min_decryption_version"]),
            detail={
                "key": self.key,
                "mac_key": self.mac_key,
                "mount": self.mount,
                "addr": self._client.url,
                "available_versions": sorted(int(v) for v in info["keys"]),
            },
        )
