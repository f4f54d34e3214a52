"""Interactions: an authorization request parked while the user logs in or consents, so the
request is never carried through the browser where it could be altered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from idp.clock import Clock, aware
from idp.models import Interaction
from idp.secrets import new_secret

TTL = timedelta(minutes=30)


class Interactions:
    def __init__(self, db: sessionmaker[Session], clock: Clock) -> None:
        self._db, self._clock = db, clock

    def park(self, params: dict[str, str]) -> str:
        now = self._clock()
        iid = new_secret(18)
        with self._db.begin() as s:
            s.execute(delete(Interaction).where(Interaction.expires_at < now))
            s.add(Interaction(id=iid, params=params, created_at=now, expires_at=now + TTL))
        return iid

    def get(self, iid: str | None) -> Interaction | None:
        if not iid or len(iid) > 64:
            return None
        with self._db() as s:
            row = s.get(Interaction, iid)
            if row is None or aware(row.expires_at) <= self._clock():
                return None
            return row

    def mark_consented(self, iid: str) -> None:
        with self._db.begin() as s:
            row = s.get(Interaction, iid)
            if row is not None:
                row.consented = True

    def finish(self, iid: str) -> None:
        with self._db.begin() as s:
            s.execute(delete(Interaction).where(Interaction.id == iid))
