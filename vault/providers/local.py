"""LocalKeyring: the embedded default key provider, a versioned keyring in one 0600 file.

The file holds random AES-256 key-encryption keys (one per version) and a separate MAC key.
Wrapped data keys look like Transit's (`local:v3:<base64>`) so tooling treats both alike.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.errors import IntegrityFailure, KeyUnavailable
from vault.provider import DataKey, ProviderStatus
from vault.server_secret import derive_mac

_PREFIX = b"local:v"
_AAD = b"satupintu/local-keyring/dek"


class LocalKeyring:
    name = "local"

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._data = self._load_or_create()

    # -- keyring file -------------------------------------------------------------------------
    def _load_or_create(self) -> dict:
        if self._path.exists():
            mode = self._path.stat().st_mode & 0o777
            if mode & 0o077:
                raise KeyUnavailable(f"keyring {self._path} is readable by others (mode {mode:o})")
            try:
                return json.loads(self._path.read_text())
            except (OSError, ValueError) as exc:
                raise KeyUnavailable(f"keyring {self._path} is unreadable") from exc
        data = {
            "versions": {"1": _b64(os.urandom(32))},
            "latest_version": 1,
            "min_decryption_version": 1,
            "mac_key": _b64(os.urandom(32)),
        }
        self._write(data)
        return data

    def _write(self, data: dict) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self._path)

    def _kek(self, version: int) -> bytes:
        if version < int(self._data["min_decryption_version"]):
            raise IntegrityFailure(f"key version {version} is below min_decryption_version")
        try:
            return base64.b64decode(self._data["versions"][str(version)])
        except KeyError as exc:
            raise IntegrityFailure(f"unknown key version {version}") from exc

    # -- KeyProvider --------------------------------------------------------------------------
    def generate_data_key(self) -> DataKey:
        dek = AESGCM.generate_key(bit_length=256)
        return DataKey(plaintext=dek, wrapped=self._wrap(dek))

    def _wrap(self, dek: bytes) -> bytes:
        version = int(self._data["latest_version"])
        nonce = os.urandom(12)
        ct = AESGCM(self._kek(version)).encrypt(nonce, dek, _AAD)
        return _PREFIX + str(version).encode() + b":" + base64.b64encode(nonce + ct)

    def unwrap(self, wrapped: bytes) -> bytes:
        version, blob = _parse(wrapped)
        try:
            return AESGCM(self._kek(version)).decrypt(blob[:12], blob[12:], _AAD)
        except (InvalidTag, ValueError) as exc:
            raise IntegrityFailure("wrapped data key does not authenticate") from exc

    def rewrap(self, wrapped: bytes) -> bytes:
        return self._wrap(self.unwrap(wrapped))

    def rewrap_many(self, wrapped: list[bytes]) -> list[bytes | Exception]:
        out: list[bytes | Exception] = []
        for item in wrapped:
            try:
                out.append(self.rewrap(item))
            except IntegrityFailure as exc:
                out.append(exc)
        return out

    def mac(self, purpose: str, data: bytes) -> bytes:
        # A per-purpose key derived from the MAC key, so one index cannot be joined to another.
        return derive_mac(base64.b64decode(self._data["mac_key"]), purpose, data)

    def mac_seed(self) -> DataKey:
        """The MAC key, wrapped: the first server secret of a deployment that ran on this
        keyring, so pairwise `sub`s and recovery codes derived before it keep their values."""
        root = base64.b64decode(self._data["mac_key"])
        return DataKey(plaintext=root, wrapped=self._wrap(root))

    def rotate(self) -> int:
        with self._lock:
            version = int(self._data["latest_version"]) + 1
            self._data["versions"][str(version)] = _b64(os.urandom(32))
            self._data["latest_version"] = version
            self._write(self._data)
            return version

    def set_min_decryption_version(self, version: int) -> None:
        with self._lock:
            if not 1 <= version <= int(self._data["latest_version"]):
                raise ValueError("min_decryption_version must be between 1 and the latest version")
            self._data["min_decryption_version"] = version
            self._write(self._data)

    def trim(self) -> int:
        """Delete KEK versions below min_decryption_version from the keyring file for good."""
        with self._lock:
            minimum = int(self._data["min_decryption_version"])
            old = [v for v in self._data["versions"] if int(v) < minimum]
            for v in old:
                del self._data["versions"][v]
            self._write(self._data)
            return len(old)

    def status(self) -> ProviderStatus:
        return ProviderStatus(
            provider=self.name,
            reachable=True,
            latest_version=int(self._data["latest_version"]),
            min_decryption_version=int(self._data["min_decryption_version"]),
            detail={
                "path": str(self._path),
                "available_versions": sorted(int(v) for v in self._data["versions"]),
            },
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _parse(wrapped: bytes) -> tuple[int, bytes]:
    try:
        head, blob = wrapped[len(_PREFIX) :].split(b":", 1)
        if not wrapped.startswith(_PREFIX):
            raise ValueError
        return int(head), base64.b64decode(blob, validate=True)
    except ValueError as exc:
        raise IntegrityFailure("malformed wrapped data key") from exc
