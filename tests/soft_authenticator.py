"""A software WebAuthn authenticator for tests: an EC P-256 key per credential, attestation
"none" for registration and signed assertions for sign-in, built with `cryptography`."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import encode_cbor

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    user_verified: bool = True
    credentials: list[SoftCredential] = field(default_factory=list)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def _flags(self, extra: int = 0) -> int:
        return UP | (UV if self.user_verified else 0) | extra

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.create() for the options the server sent (JSON form)."""
        rp_id = options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        cred = SoftCredential(os.urandom(32), key, rp_id, unb64u(options["user"]["id"]))
        self.credentials.append(cred)
        nums = key.public_key().public_numbers()
        cose = encode_cbor(
            {1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")}
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", cred.sign_count)
            + bytes(16)  # AAGUID
            + struct.pack(">H", len(cred.credential_id))
            + cred.credential_id
            + cose
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {
            "id": b64u(cred.credential_id),
            "rawId": b64u(cred.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], cred: SoftCredential | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): signs with the first allowed (or given) credential."""
        allowed = {unb64u(c["id"]) for c in options.get("allowCredentials") or []}
        if cred is None:
            cred = next(c for c in self.credentials if not allowed or c.credential_id in allowed)
        cred.sign_count += 1
        auth_data = (
            hashlib.sha256(cred.rp_id.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", cred.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = cred.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64u(cred.credential_id),
            "rawId": b64u(cred.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(cred.user_handle),
            },
            "clientExtensionResults": {},
        }
