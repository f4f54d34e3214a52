"""Brute-force protection that holds across workers.

Per account: the first `free_failures` failures cost nothing; after that each further attempt
has to wait 2^(n - free_failures) seconds after the last failure, capped at `max_delay`. So a
password-guessing run slows to a crawl, yet the owner is never locked out: once the wait has
passed, the right password works, and other accounts are untouched. An attempt inside the wait
is refused before the password is checked, so it tells a guesser nothing.

Per client IP: at most `ip_failure_limit` failures per `ip_failure_window`, and at most
`ip_request_limit` requests to the registration and password-reset endpoints per
`ip_request_window` (fixed windows).

Keys are HMACed before they are stored or audited: the stores and the audit trail never see a
raw NIK, email or IP address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock
from idp.ratelimit_store import Counter, CounterStore


@dataclass(frozen=True)
class Limits:
    free_failures: int = 5
    max_delay: int = 900
    failure_window: int = 3600
    ip_failure_limit: int = 100
    ip_failure_window: int = 3600
    ip_request_limit: int = 600  # 0: no request cap
    ip_request_window: int = 60


@dataclass(frozen=True)
class Throttled:
    """Refused for now; try again after `retry_after` whole seconds."""

    retry_after: int
    reason: str  # "account", "ip_failures" or "ip_requests"


@dataclass(frozen=True)
class Assessment:
    throttled: Throttled | None
    account_has_failures: bool


def _ceil(seconds: float) -> int:
    return max(1, math.ceil(seconds - 1e-9))


class RateLimiter:
    def __init__(
        self, store: CounterStore, limits: Limits, audit: AuditSink, clock: Clock, key: bytes
    ) -> None:
        self._store, self.limits, self._audit, self._clock = store, limits, audit, clock
        self._key = key

    def _now(self) -> float:
        return self._clock().timestamp()

    def key(self, kind: str, value: str) -> str:
        """An opaque, keyed name for a counter: safe to store and to audit."""
        mac = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}:{mac[:40]}"

    # -- the account's progressive delay -------------------------------------------------------
    def delay_after(self, failures: int) -> int:
        if failures < self.limits.free_failures:
            return 0
        return min(2 ** (failures - self.limits.free_failures), self.limits.max_delay)

    def _account_wait(self, counter: Counter | None, now: float) -> float:
        if counter is None:
            return 0.0
        return counter.last_at + self.delay_after(counter.count) - now

    # -- checks before an attempt --------------------------------------------------------------
    def check(self, *, account: str | None, ip: str | None) -> Throttled | None:
        """Whether an attempt may go ahead now. Refusals are audited."""
        return self.assess(account=account, ip=ip).throttled

    def assess(self, *, account: str | None, ip: str | None) -> Assessment:
        """`check`, also telling whether the account has failures to forget on success: both
        counters come back in one read, and a clean account costs no second read later."""
        now = self._now()
        ipf = self.key("ipf", ip) if ip is not None else None
        seen = self._store.peek_many([k for k in (account, ipf) if k is not None], now)
        found: Throttled | None = None
        if account is not None:
            wait = self._account_wait(seen.get(account), now)
            if wait > 0:
                found = Throttled(_ceil(wait), "account")
        counter = seen.get(ipf) if ipf is not None else None
        if found is None and counter is not None and counter.count >= self.limits.ip_failure_limit:
            found = Throttled(_ceil(counter.expires_at - now), "ip_failures")
        if found is not None:
            self._audit.record(
                AuditEvent(
                    "ratelimit.refused",
                    Outcome.DENIED,
                    detail={
                        "key": account,
                        "reason": found.reason,
                        "retry_after": found.retry_after,
                    },
                )
            )
        return Assessment(found, account is not None and account in seen)

    def request(self, ip: str | None, endpoint: str) -> Throttled | None:
        """Count one request from `ip` to a guarded endpoint; Throttled when over the cap."""
        if ip is None or self.limits.ip_request_limit == 0:
            return None
        now = self._now()
        counter = self._store.hit(
            self.key("ipr", ip), now, self.limits.ip_request_window, sliding=False
        )
        if counter.count <= self.limits.ip_request_limit:
            return None
        throttled = Throttled(_ceil(counter.expires_at - now), "ip_requests")
        if counter.count == self.limits.ip_request_limit + 1:  # audit once per window
            self._audit.record(
                AuditEvent(
                    "ratelimit.ip_requests",
                    Outcome.DENIED,
                    detail={"key": self.key("ip", ip), "endpoint": endpoint},
                )
            )
        return throttled

    # -- outcomes of an attempt ----------------------------------------------------------------
    def failure(self, *, account: str | None, ip: str | None, subject: str | None = None) -> int:
        """Record a failed attempt; returns the wait (seconds) it imposes on the account."""
        now = self._now()
        wait = 0
        if account is not None:
            counter = self._store.hit(account, now, self.limits.failure_window, sliding=True)
            wait = self.delay_after(counter.count)
            if wait:
                self._audit.record(
                    AuditEvent(
                        "ratelimit.delay",
                        Outcome.DENIED,
                        subject=subject,
                        detail={"key": account, "failures": counter.count, "delay": wait},
                    )
                )
        if ip is not None:
            ipc = self._store.hit(
                self.key("ipf", ip), now, self.limits.ip_failure_window, sliding=False
            )
            if ipc.count == self.limits.ip_failure_limit:
                self._audit.record(
                    AuditEvent(
                        "ratelimit.ip_failures",
                        Outcome.DENIED,
                        detail={"key": self.key("ip", ip), "failures": ipc.count},
                    )
                )
        return wait

    def success(self, account: str, *, had_failures: bool | None = None) -> None:
        """The owner got in: forget the account's failures. `had_failures` from `assess`
        spares the read; without it, a read when there are none."""
        if had_failures is False:
            return
        if had_failures or self._store.peek(account, self._now()) is not None:
            self._store.clear(account)
