"""Brute-force protection that holds across workers.

Per account: the first `free_failures` failures cost nothing; after that each further attempt
has to wait 2^(n - free_failures) seconds after the last failure, capped at `max_delay`. So a
password-guessing run slows to a crawl, yet the owner is never locked out: once the wait has
passed, the right password works, and other accounts are untouched. An attempt inside the wait
is refused before the password is checked, so it tells a guesser nothing.

Reserve, then check: an attempt is counted (atomically, on every worker) before its secret is
checked, and given back when it succeeds. Concurrent guesses therefore get exactly the checks
sequential ones would, never one more.

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
from functools import cached_property

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock
from idp.signin.ratelimit_store import Counter, CounterStore, Limit


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

    @cached_property
    def _delays(self) -> tuple[float, ...]:
        """delay_after(n) from n = free_failures up to the first that reaches the cap."""
        free = self.limits.free_failures
        delays = [float(self.delay_after(free))]
        while delays[-1] < self.limits.max_delay:
            delays.append(float(self.delay_after(free + len(delays))))
        return tuple(delays)

    def _limits(self, account: str | None, ip: str | None) -> list[Limit]:
        limits = []
        if account is not None:
            limits.append(
                Limit(
                    account,
                    self.limits.failure_window,
                    True,
                    delays=self._delays,
                    delay_from=self.limits.free_failures,
                )
            )
        if ip is not None:
            limits.append(
                Limit(
                    self.key("ipf", ip),
                    self.limits.ip_failure_window,
                    False,
                    most=self.limits.ip_failure_limit,
                )
            )
        return limits

    # -- an attempt ------------------------------------------------------------------------------
    def begin(self, *, account: str | None, ip: str | None) -> Attempt | Throttled:
        """Count an attempt before its secret is checked, atomically on every worker: either
        it is counted against the account and the IP (an Attempt, settled by its outcome), or it
        may not go ahead now (Throttled, audited) and nothing is counted. Checking after
        counting is what keeps concurrent guesses within the limits."""
        now = self._now()
        limits = self._limits(account, ip)
        reserved = self._store.reserve(limits, now)
        if reserved.refused_by is None:
            return Attempt(self, account, limits[-1].key if ip is not None else None)
        by, counter = reserved.refused_by, reserved.counter
        if by.key == account:
            wait, reason = (counter.not_before if counter else now) - now, "account"
        else:
            wait, reason = (counter.expires_at if counter else now) - now, "ip_failures"
        throttled = Throttled(_ceil(wait), reason)
        self._audit.record(
            AuditEvent(
                "ratelimit.refused",
                Outcome.DENIED,
                detail={"key": account, "reason": reason, "retry_after": throttled.retry_after},
            )
        )
        return throttled

    def peek_ip_failures(self, ip: str) -> Counter | None:
        """The failures counted against `ip` in its current window."""
        return self._store.peek(self.key("ipf", ip), self._now())

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

    def forget(self, account: str) -> None:
        """A clean slate for the account (after a password reset)."""
        self._store.clear(account)


class Attempt:
    """An attempt counted before its secret was checked; settle it by what the check found.
    Unsettled it stays counted as a failure, which is what a crash in between should cost."""

    def __init__(self, limiter: RateLimiter, account: str | None, ip_key: str | None) -> None:
        self._limiter, self.account, self._ip_key = limiter, account, ip_key

    def succeeded(self) -> None:
        """The owner got in: forget the account's failures and give the IP its attempt back,
        since only failures count against an address."""
        self._limiter._store.settle(
            refund=[self._ip_key] if self._ip_key else [],
            clear=[self.account] if self.account else [],
            now=self._limiter._now(),
        )

    def failed(self, *, subject: str | None = None) -> int:
        """It stays counted; returns (and audits) the wait it imposes on the account."""
        limiter, now = self._limiter, self._limiter._now()
        seen = limiter._store.peek_many([k for k in (self.account, self._ip_key) if k], now)
        wait = 0
        if self.account is not None and (counter := seen.get(self.account)) is not None:
            wait = limiter.delay_after(counter.count)
            if wait:
                limiter._audit.record(
                    AuditEvent(
                        "ratelimit.delay",
                        Outcome.DENIED,
                        subject=subject,
                        detail={"key": self.account, "failures": counter.count, "delay": wait},
                    )
                )
        ipc = seen.get(self._ip_key) if self._ip_key else None
        if ipc is not None and ipc.count == limiter.limits.ip_failure_limit:
            limiter._audit.record(
                AuditEvent(
                    "ratelimit.ip_failures",
                    Outcome.DENIED,
                    detail={"key": self._ip_key, "failures": ipc.count},
                )
            )
        return wait
