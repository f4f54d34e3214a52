"""Password hashing with argon2id (OWASP parameters by default: m=19 MiB, t=2, p=1).

A login with an unknown username still verifies against a dummy hash, so a wrong username and a
wrong password cost the same time.

At most one hash runs per CPU core at a time (per `parallelism` lanes): more would only
time-slice the cores between several 19 MiB working sets that evict each other from cache, and
multiply memory use under a login burst. Waiting logins queue instead. The hash runs on the
caller's own thread behind that semaphore: handing it to another thread cost a thread switch
and a future per login, and measured no faster (argon2 releases the GIL either way).

Each slot is a huge-page working buffer (`idp.accounts.argon2_memory`) in which a hash of the
current parameters is verified; a hash with other parameters is verified by argon2-cffi as before.
"""

from __future__ import annotations

import os
import queue
from dataclasses import dataclass

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.accounts.argon2_memory import HashMemory


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 2
    memory_cost: int = 19456  # KiB
    parallelism: int = 1


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class PasswordHasher:
    def __init__(self, params: Argon2Params | None = None, concurrency: int | None = None) -> None:
        p = params or Argon2Params()
        # The slots as tokens in a C queue: every sign-in waits here under load, and
        # `threading.Semaphore` waits through a Python-level Condition.
        self._slots: queue.SimpleQueue[HashMemory] = queue.SimpleQueue()
        for _ in range(concurrency or max(1, _cores() // p.parallelism)):
            self._slots.put(HashMemory(p.time_cost, p.memory_cost, p.parallelism))
        self._ph = _Argon2(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost,
            parallelism=p.parallelism,
            type=Type.ID,
        )
        self._dummy = self._ph.hash("satupintu-dummy-password-for-equal-timing")
        # The shape of a hash made now: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`. One with the
        # same parameter segment, salt length and hash length needs no rehash; anything else is
        # left to argon2-cffi. Every sign-in asks, and parsing the string cost ~0.07 ms of it.
        fields = self._dummy.split("$")
        self._current = "$".join(fields[:4]) + "$"
        self._shape = (len(self._dummy), self._dummy.rindex("$"))

    def hash(self, password: str) -> str:
        slot = self._slots.get()
        try:
            return self._ph.hash(password)
        finally:
            self._slots.put(slot)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches; the same work is done when `stored` is None."""
        encoded = stored or self._dummy
        slot = self._slots.get()
        try:
            if self._is_current(encoded):
                matches = slot.verify(encoded, password.encode())
            else:
                matches = self._ph.verify(encoded, password)
            return matches and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._slots.put(slot)

    def _is_current(self, stored: str) -> bool:
        return stored.startswith(self._current) and (len(stored), stored.rfind("$")) == self._shape

    def needs_rehash(self, stored: str) -> bool:
        return not self._is_current(stored) and self._ph.check_needs_rehash(stored)
