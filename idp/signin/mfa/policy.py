"""When a sign-in needs a second factor, and the acr values that name the levels.

Levels (advertised in discovery `acr_values_supported`):
  urn:satupintu:acr:pwd  one factor (a password)
  urn:satupintu:acr:mfa  two factors (password + TOTP / recovery code / passkey, or a passkey
                         with user verification) — NIST SP 800-63B AAL2

The level a request needs is the highest of: the client's `require_mfa` (or its
`default_acr_values` when the request names none), its organisation's `require_mfa`, the
user's own choice (anyone with a second factor enrolled always uses it), and the request's
`acr_values` — the weakest level listed there that we know, since any of them satisfies the RP
(OIDC Core §3.1.2.1: values in order of preference).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from idp.accounts.models import Organisation
from idp.oauth.clients import Client

ACR_PWD = "urn:satupintu:acr:pwd"
ACR_MFA = "urn:satupintu:acr:mfa"
ACR_VALUES = (ACR_PWD, ACR_MFA)
_RANK = {ACR_PWD: 1, ACR_MFA: 2}


def rank_of_amr(amr: list[str]) -> int:
    return 2 if "mfa" in amr else 1


def acr_for(amr: list[str]) -> str:
    return ACR_MFA if rank_of_amr(amr) >= 2 else ACR_PWD


def _requested(values: Any) -> int | None:
    if isinstance(values, str):
        values = values.split()
    known = [_RANK[v] for v in values or [] if isinstance(v, str) and v in _RANK]
    return min(known) if known else None


class MfaPolicy:
    def __init__(self, db: sessionmaker[Session], enrolled: Callable[[str], bool]) -> None:
        self._db, self._enrolled = db, enrolled

    def user_enrolled(self, user_id: str) -> bool:
        return self._enrolled(user_id)

    def org_requires(self, org_id: str | None) -> bool:
        if not org_id:
            return False
        with self._db() as s:
            org = s.get(Organisation, org_id)
            return bool(org and org.require_mfa)

    def required_rank(self, client: Client, user_id: str, acr_values: str | None) -> int:
        ranks = [1]
        if client.metadata.get("require_mfa") or self.org_requires(client.org_id):
            ranks.append(2)
        asked = _requested(acr_values)
        if asked is None:
            asked = _requested(client.metadata.get("default_acr_values"))
        if asked is not None:
            ranks.append(asked)
        if max(ranks) < 2 and self._enrolled(user_id):
            ranks.append(2)
        return max(ranks)

    def satisfied(self, amr: list[str], client: Client, user_id: str, acr_values: Any) -> bool:
        return rank_of_amr(amr) >= self.required_rank(client, user_id, acr_values)
