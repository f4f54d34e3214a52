"""Public or pairwise `sub` per client (OIDC Core §8).

Pairwise subjects are a keyed MAC of (sector, user) under a vault-held key, so two regional
apps in different sectors cannot correlate a citizen without a legal basis to do so.
"""

from __future__ import annotations

import base64

from idp.clients import Client
from vault import KeyProvider


class SubjectMapper:
    def __init__(self, provider: KeyProvider) -> None:
        self._provider = provider

    def for_client(self, client: Client, user_id: str) -> str:
        if client.subject_type != "pairwise":
            return user_id
        digest = self._provider.mac(
            "pairwise-sub", f"{client.sector_identifier}|{user_id}".encode()
        )
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
