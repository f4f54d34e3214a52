"""PKCE (RFC 7636) as RFC 9700 §2.1.1 asks: S256 only, required for public clients."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge


class S256CodeChallenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if grant.request.client.is_public and not challenge:
            raise InvalidRequestError(
                "Public clients must send a 'code_challenge' (PKCE, S256).",
                redirect_uri=redirect_uri,
            )
        if challenge and method != "S256":
            raise InvalidRequestError(
                "'code_challenge_method' must be S256.", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)
