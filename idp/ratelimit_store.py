"""Where brute-force counters live: the database by default, Redis when configured.

Both stores keep the same small contract so every worker sees every other worker's counts:
`hit` adds one to a counter atomically (a single upsert, or a single Lua script) and returns the
new state; a counter whose window has passed starts again from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from audit.driver import DriverStatements
from idp.models import RateCounter

_T = RateCounter.__table__
# Built once: constructing the expression cost more than running it. A sign-in peeks at two
# counters (account and IP): a fixed two-key IN compiles once, where an expanding one is
# re-rendered on every call.
_PEEK = select(_T.c.key, _T.c.count, _T.c.first_at, _T.c.last_at, _T.c.expires_at)
_PEEK_TWO = _PEEK.where(
    _T.c.key.in_([bindparam("k0"), bindparam("k1")]), _T.c.expires_at > bindparam("now")
)
_PEEK_MANY = _PEEK.where(
    _T.c.key.in_(bindparam("keys", expanding=True)), _T.c.expires_at > bindparam("now")
)


@dataclass(frozen=True)
class Counter:
    count: int
    first_at: float
    last_at: float
    expires_at: float


class CounterStore(Protocol):
    def hit(self, key: str, now: float, ttl: float, *, sliding: bool) -> Counter:
        """Count one event. `sliding`: the window restarts at every event (else it is fixed
        from the first event)."""
        ...

    def peek(self, key: str, now: float) -> Counter | None: ...

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        """The live counters among `keys`, in one round trip."""
        ...

    def clear(self, key: str) -> None: ...


class SqlCounterStore:
    """Counters in `idp_rate_counters`, updated with one INSERT ... ON CONFLICT DO UPDATE."""

    def __init__(self, db: sessionmaker[Session]) -> None:
        self._db = db
        self._peek_two = DriverStatements(_PEEK_TWO)

    def hit(self, key: str, now: float, ttl: float, *, sliding: bool) -> Counter:
        t = RateCounter.__table__
        with self._db.begin() as s:
            dialect = s.get_bind().dialect.name
            insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
            expired = t.c.expires_at <= now
            stmt = (
                insert(t)
                .values(key=key, count=1, first_at=now, last_at=now, expires_at=now + ttl)
                .on_conflict_do_update(
                    index_elements=[t.c.key],
                    set_={
                        "count": case((expired, 1), else_=t.c.count + 1),
                        "first_at": case((expired, now), else_=t.c.first_at),
                        "last_at": now,
                        "expires_at": (
                            now + ttl
                            if sliding
                            else case((expired, now + ttl), else_=t.c.expires_at)
                        ),
                    },
                )
                .returning(t.c.count, t.c.first_at, t.c.last_at, t.c.expires_at)
            )
            row = s.execute(stmt).one()
        return Counter(int(row[0]), float(row[1]), float(row[2]), float(row[3]))

    def peek(self, key: str, now: float) -> Counter | None:
        with self._db() as s:
            row = s.get(RateCounter, key)
            if row is None or row.expires_at <= now:
                return None
            return Counter(row.count, row.first_at, row.last_at, row.expires_at)

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        if not keys:
            return {}
        engine: Engine = self._db.kw["bind"]
        if len(keys) <= 2:
            # The sign-in's read (account and IP), before every guarded attempt: prebuilt and
            # run on the driver (audit.driver).
            rows = self._peek_two.read(engine, {"k0": keys[0], "k1": keys[-1], "now": now})
        else:
            with engine.connect() as c:
                rows = list(c.execute(_PEEK_MANY, {"keys": keys, "now": now}))
        return {r[0]: Counter(int(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows}

    def clear(self, key: str) -> None:
        with self._db.begin() as s:
            s.execute(delete(RateCounter).where(RateCounter.key == key))

    def keys(self) -> list[str]:
        with self._db() as s:
            return list(s.scalars(select(RateCounter.key)))


# KEYS[1]: the counter; ARGV: now, ttl, sliding ("1"/"0"). Floats go back as strings because
# Redis truncates Lua numbers to integers.
_HIT = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'count', 'first', 'exp')
local count, first, exp = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
if (not count) or exp <= now then
  count = 0
  first = now
  exp = now + ttl
end
count = count + 1
if ARGV[3] == '1' then exp = now + ttl end
redis.call('HSET', KEYS[1], 'count', count, 'first', first, 'last', now, 'exp', exp)
redis.call('PEXPIRE', KEYS[1], math.ceil((exp - now) * 1000) + 1000)
return {count, tostring(first), tostring(now), tostring(exp)}
"""


class RedisCounterStore:
    """Counters as Redis hashes under `prefix`, each with a Redis expiry so nothing lingers."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT)

    def _key(self, key: str) -> str:
        return f"{self._prefix}rl:{key}"

    def hit(self, key: str, now: float, ttl: float, *, sliding: bool) -> Counter:
        count, first, last, exp = self._hit(
            keys=[self._key(key)], args=[repr(now), repr(ttl), "1" if sliding else "0"]
        )
        return Counter(int(count), float(first), float(last), float(exp))

    def peek(self, key: str, now: float) -> Counter | None:
        v = self._redis.hmget(self._key(key), "count", "first", "last", "exp")
        if v[0] is None or float(v[3]) <= now:
            return None
        return Counter(int(v[0]), float(v[1]), float(v[2]), float(v[3]))

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._key(key), "count", "first", "last", "exp")
        found = {}
        for key, v in zip(keys, pipe.execute(), strict=True):
            if v[0] is not None and float(v[3]) > now:
                found[key] = Counter(int(v[0]), float(v[1]), float(v[2]), float(v[3]))
        return found

    def clear(self, key: str) -> None:
        self._redis.delete(self._key(key))
