"""Where brute-force counters live: the database by default, Redis when configured.

Both stores keep the same small contract so every worker sees every other worker's counts:
`hit` adds one to a counter atomically (a single upsert, or a single Lua script) and returns the
new state; a counter whose window has passed starts again from one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Float, and_, bindparam, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from idp.signin.models import RateCounter
from storage.statements import DriverStatements

_T = RateCounter.__table__
# Built once: constructing the expression cost more than running it. A sign-in peeks at two
# counters (account and IP): a fixed two-key IN compiles once, where an expanding one is
# re-rendered on every call.
_PEEK = select(_T.c.key, _T.c.count, _T.c.first_at, _T.c.last_at, _T.c.expires_at, _T.c.not_before)
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
    not_before: float = 0.0  # no attempt is admitted before this (a progressive delay)


@dataclass(frozen=True)
class Limit:
    """How one counter admits attempts: at most `most` in its window (None: no cap), and after
    the n-th counted attempt, n >= `delay_from`, none for `delays[n - delay_from]` seconds (the
    last entry holds beyond; before `delay_from`, no wait)."""

    key: str
    window: float
    sliding: bool  # the window restarts at every counted attempt (else fixed from the first)
    most: int | None = None
    delays: tuple[float, ...] = ()
    delay_from: int = 0

    def wait_after(self, count: int) -> float:
        if not self.delays or count < self.delay_from:
            return 0.0
        return self.delays[min(count - self.delay_from, len(self.delays) - 1)]


@dataclass(frozen=True)
class Reserved:
    """What `reserve` did: counted one attempt on every limit, or on none (`refused_by` names
    the limit that refused, with its counter)."""

    refused_by: Limit | None
    counter: Counter | None = None


class CounterStore(Protocol):
    def hit(self, key: str, now: float, ttl: float, *, sliding: bool) -> Counter:
        """Count one event. `sliding`: the window restarts at every event (else it is fixed
        from the first event)."""
        ...

    def reserve(self, limits: Sequence[Limit], now: float) -> Reserved:
        """Atomically, and across workers: when every limit admits an attempt now, count one
        on each; otherwise count nothing. Reserve, then check the secret, so that concurrent
        guesses cannot all pass a check made before any of them was counted."""
        ...

    def settle(self, *, refund: Sequence[str], clear: Sequence[str], now: float) -> None:
        """After an attempt that succeeded: one attempt fewer on `refund`, `clear` forgotten."""
        ...

    def peek(self, key: str, now: float) -> Counter | None: ...

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        """The live counters among `keys`, in one round trip."""
        ...

    def clear(self, key: str) -> None: ...


def _admit_statement(dialect: str, limit: Limit) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE ... WHERE the counter admits an attempt, RETURNING the
    new state: a row back means counted, none means refused and nothing changed. One statement,
    so it holds on PostgreSQL's row lock and under SQLite's single writer alike."""
    t = _T
    insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    now: Any = bindparam("now", type_=Float)
    window: Any = bindparam("window", type_=Float)
    expired = t.c.expires_at <= now
    new_count = case((expired, 1), else_=t.c.count + 1)

    def not_before(count: Any) -> Any:
        # No wait leaves 0, not `now`: concurrent attempts read their clocks in some order and
        # reach the database in another, and a zero wait must not refuse an earlier clock.
        if not any(limit.delays):
            return literal(0.0)
        start = limit.delay_from
        steps = [(count < start, literal(0.0))]
        steps += [(count == start + n, literal(float(d))) for n, d in enumerate(limit.delays)]
        wait = case(*steps, else_=literal(float(limit.delays[-1])))
        return case((wait > 0, now + wait), else_=literal(0.0))

    admits = t.c.not_before <= now
    if limit.most is not None:
        admits = and_(admits, t.c.count < bindparam("most"))
    stmt = insert(t).values(
        key=bindparam("key"),
        count=1,
        first_at=now,
        last_at=now,
        expires_at=now + window,
        not_before=not_before(literal(1)),
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "count": new_count,
            "first_at": case((expired, now), else_=t.c.first_at),
            "last_at": now,
            "expires_at": (
                now + window
                if limit.sliding
                else case((expired, now + window), else_=t.c.expires_at)
            ),
            "not_before": not_before(new_count),
        },
        where=or_(expired, admits),
    ).returning(t.c.count, t.c.first_at, t.c.last_at, t.c.expires_at, t.c.not_before)


_REFUND = (
    update(RateCounter)
    .where(_T.c.key == bindparam("k"), _T.c.count > 0, _T.c.expires_at > bindparam("now"))
    .values(count=_T.c.count - 1)
)


def _counter(row: RateCounter) -> Counter:
    return Counter(row.count, row.first_at, row.last_at, row.expires_at, row.not_before)


class SqlCounterStore:
    """Counters in `idp_rate_counters`, updated with one INSERT ... ON CONFLICT DO UPDATE."""

    def __init__(self, engine: Engine, db: sessionmaker[Session]) -> None:
        self._engine, self._db = engine, db
        self._peek_two = DriverStatements(_PEEK_TWO)
        self._statements: dict[tuple[Any, ...], Any] = {}  # admit statements, by limit shape

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

    def reserve(self, limits: Sequence[Limit], now: float) -> Reserved:
        with self._db() as s:
            dialect = s.get_bind().dialect.name
            for limit in limits:
                values = {"key": limit.key, "now": now, "window": limit.window}
                if limit.most is not None:
                    values["most"] = limit.most
                if s.execute(self._admit(dialect, limit), values).first() is None:
                    row = s.get(RateCounter, limit.key)
                    refused = Reserved(limit, _counter(row) if row else None)
                    s.rollback()  # nothing counted on the limits before this one either
                    return refused
            s.commit()
        return Reserved(None)

    def _admit(self, dialect: str, limit: Limit) -> Any:
        shape = (dialect, limit.sliding, limit.most is not None, limit.delays, limit.delay_from)
        stmt = self._statements.get(shape)
        if stmt is None:
            stmt = self._statements[shape] = _admit_statement(dialect, limit)
        return stmt

    def settle(self, *, refund: Sequence[str], clear: Sequence[str], now: float) -> None:
        if not refund and not clear:
            return
        with self._db.begin() as s:
            if clear:
                s.execute(delete(RateCounter).where(RateCounter.key.in_(list(clear))))
            for key in refund:
                s.execute(_REFUND, {"k": key, "now": now})

    def peek(self, key: str, now: float) -> Counter | None:
        with self._db() as s:
            row = s.get(RateCounter, key)
            if row is None or row.expires_at <= now:
                return None
            return _counter(row)

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        if not keys:
            return {}
        engine = self._engine
        if len(keys) <= 2:
            # The sign-in's read (account and IP), before every guarded attempt: prebuilt and
            # run on the driver (storage.statements).
            rows = self._peek_two.read(engine, {"k0": keys[0], "k1": keys[-1], "now": now})
        else:
            with engine.connect() as c:
                rows = list(c.execute(_PEEK_MANY, {"keys": keys, "now": now}))
        return {
            r[0]: Counter(int(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5]))
            for r in rows
        }

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


# KEYS: the counters; ARGV[1]: now, then per counter: window, sliding ("1"/"0"), most (-1: no
# cap), delay_from, the number of delays and the delays. Counts on every counter, or on none:
# returns {1} or {0, index of the refusing counter, its count, first, last, exp, not_before}.
_RESERVE = """
local now = tonumber(ARGV[1])
local specs, a = {}, 2
for i = 1, #KEYS do
  local n = tonumber(ARGV[a + 4])
  local delays = {}
  for j = 1, n do delays[j] = tonumber(ARGV[a + 4 + j]) end
  specs[i] = {window = tonumber(ARGV[a]), sliding = ARGV[a + 1] == '1',
              most = tonumber(ARGV[a + 2]), from = tonumber(ARGV[a + 3]), delays = delays}
  a = a + 5 + n
end
local state = {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'count', 'first', 'last', 'exp', 'nb')
  local count, exp, nb = tonumber(v[1]), tonumber(v[4]), tonumber(v[5]) or 0
  local live = count and exp > now
  if live and (nb > now or (specs[i].most >= 0 and count >= specs[i].most)) then
    return {0, i, count, v[2], v[3], v[4], tostring(nb)}
  end
  state[i] = {live = live, count = count, first = v[2], exp = exp}
end
for i = 1, #KEYS do
  local sp, st = specs[i], state[i]
  local count, first, exp = 1, now, now + sp.window
  if st.live then
    count, first = st.count + 1, tonumber(st.first)
    if not sp.sliding then exp = st.exp end
  end
  if sp.sliding then exp = now + sp.window end
  local nb = 0  -- no wait leaves 0, not now: see the SQL statement's note
  if #sp.delays > 0 and count >= sp.from then
    local wait = sp.delays[math.min(count - sp.from + 1, #sp.delays)]
    if wait > 0 then nb = now + wait end
  end
  redis.call('HSET', KEYS[i], 'count', count, 'first', first, 'last', now, 'exp', exp, 'nb', nb)
  redis.call('PEXPIRE', KEYS[i], math.ceil((exp - now) * 1000) + 1000)
end
return {1}
"""

# KEYS: counters to give one attempt back, ARGV[1]: now; the rest (ARGV[2..]) to forget.
_SETTLE = """
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'count', 'exp')
  local count, exp = tonumber(v[1]), tonumber(v[2])
  if count and count > 0 and exp > now then redis.call('HSET', KEYS[i], 'count', count - 1) end
end
for i = 2, #ARGV do redis.call('DEL', ARGV[i]) end
return 1
"""


class RedisCounterStore:
    """Counters as Redis hashes under `prefix`, each with a Redis expiry so nothing lingers."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT)
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    def _key(self, key: str) -> str:
        return f"{self._prefix}rl:{key}"

    def hit(self, key: str, now: float, ttl: float, *, sliding: bool) -> Counter:
        count, first, last, exp = self._hit(
            keys=[self._key(key)], args=[repr(now), repr(ttl), "1" if sliding else "0"]
        )
        return Counter(int(count), float(first), float(last), float(exp))

    def reserve(self, limits: Sequence[Limit], now: float) -> Reserved:
        args: list[str] = [repr(now)]
        for limit in limits:
            most = -1 if limit.most is None else limit.most
            args += [repr(limit.window), "1" if limit.sliding else "0", str(most)]
            args.append(str(limit.delay_from))
            args += [str(len(limit.delays)), *(repr(float(d)) for d in limit.delays)]
        got = self._reserve(keys=[self._key(limit.key) for limit in limits], args=args)
        if int(got[0]) == 1:
            return Reserved(None)
        _i, count, first, last, exp, nb = got[1:]
        counter = Counter(int(count), float(first), float(last), float(exp), float(nb))
        return Reserved(limits[int(_i) - 1], counter)

    def settle(self, *, refund: Sequence[str], clear: Sequence[str], now: float) -> None:
        if refund or clear:
            self._settle(
                keys=[self._key(k) for k in refund],
                args=[repr(now), *(self._key(k) for k in clear)],
            )

    def peek(self, key: str, now: float) -> Counter | None:
        return self.peek_many([key], now).get(key)

    def peek_many(self, keys: list[str], now: float) -> dict[str, Counter]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._key(key), "count", "first", "last", "exp", "nb")
        found = {}
        for key, v in zip(keys, pipe.execute(), strict=True):
            if v[0] is not None and float(v[3]) > now:
                nb = float(v[4]) if v[4] is not None else 0.0
                found[key] = Counter(int(v[0]), float(v[1]), float(v[2]), float(v[3]), nb)
        return found

    def clear(self, key: str) -> None:
        self._redis.delete(self._key(key))
