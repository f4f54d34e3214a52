"""Interactions: an authorization request parked while the user logs in or consents, so the
request is never carried through the browser where it could be altered.

The request's `login_hint` is personal data (a NIK or an email, typed by the app), so it is
stored sealed: AES-256-GCM under a key of the server secret (vault.server_secret), bound to
the interaction's id. The other parameters are the app's own (client, scopes, state).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from idp.clock import Clock, aware
from idp.oidc.models import Interaction
from idp.secrets import new_secret

TTL = timedelta(minutes=30)
PERSONAL = ("login_hint",)  # parameters stored sealed
_SEALED = "v1."


@dataclass(frozen=True)
class ParkedRequest:
    id: str
    params: dict[str, str]
    consented: bool
    created_at: datetime


class Interactions:
    def __init__(self, db: sessionmaker[Session], clock: Clock, key: bytes) -> None:
        self._db, self._clock = db, clock
        self._aead = AESGCM(key)

    def _seal(self, iid: str, value: str) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, value.encode(), iid.encode())
        return _SEALED + base64.urlsafe_b64encode(sealed).decode()

    def _open(self, iid: str, value: str) -> str | None:
        if not value.startswith(_SEALED):
            return None  # never stored in the clear: something else wrote it
        try:
            raw = base64.urlsafe_b64decode(value[len(_SEALED) :])
            return self._aead.decrypt(raw[:12], raw[12:], iid.encode()).decode()
        except (ValueError, InvalidTag):
            return None

    def park(self, params: dict[str, str]) -> str:
        now = self._clock()
        iid = new_secret(18)
        stored = {
            k: self._seal(iid, v) if k in PERSONAL and isinstance(v, str) else v
            for k, v in params.items()
        }
        with self._db.begin() as s:
            s.execute(delete(Interaction).where(Interaction.expires_at < now))
            s.add(Interaction(id=iid, params=stored, created_at=now, expires_at=now + TTL))
        return iid

    def get(self, iid: str | None) -> ParkedRequest | None:
        if not iid or len(iid) > 64:
            return None
        with self._db() as s:
            row = s.get(Interaction, iid)
            if row is None or aware(row.expires_at) <= self._clock():
                return None
            params = dict(row.params or {})
            for k in PERSONAL:
                if k in params:
                    opened = self._open(iid, str(params[k]))
                    if opened is None:
                        del params[k]
                    else:
                        params[k] = opened
            return ParkedRequest(row.id, params, bool(row.consented), aware(row.created_at))

    def mark_consented(self, iid: str) -> None:
        with self._db.begin() as s:
            row = s.get(Interaction, iid)
            if row is not None:
                row.consented = True

    def finish(self, iid: str) -> None:
        with self._db.begin() as s:
            s.execute(delete(Interaction).where(Interaction.id == iid))
