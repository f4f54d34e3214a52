"""Group commit: audit rows recorded outside a business transaction share one commit.

Every caller keeps its guarantee (its row is committed before it is told so), but rows that
arrive together are inserted in one statement and one transaction by a single writer thread, so
a busy token endpoint pays one commit per batch instead of one per token. One writer also keeps
appends in arrival order, which a hash-chained trail needs.

The batch goes straight to the driver (`storage.statements.DriverStatement`): SQLAlchemy
compiles the INSERT once for the engine's dialect and supplies its type conversions and its
exception classes, but its per-statement execution machinery is skipped. On this path it cost
more CPU than SQLite's own work (about 165 against 55 microseconds per one-row commit,
`docs/benchmarks.md`), and every issued token pays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from storage.statements import DriverStatement

_STOP = object()
_IDLE = 1.0  # seconds without rows before the writer lets go of its connection
Done = Callable[[BaseException | None], None]  # told the commit's outcome


class GroupCommit:
    """The writer of one table. Rows are dicts of column values, all with the same keys."""

    def __init__(
        self,
        engine: Engine,
        table: Table,
        max_batch: int = 256,
        gather: float = 0.002,
        expect_wait: float = 0.005,
    ) -> None:
        self._engine, self._table, self._max_batch = engine, table, max_batch
        self._gather, self._expect_wait = gather, expect_wait
        # Callers inside `expecting()`: each will submit a row soon (see there).
        self._expected = 0
        self._inserts: dict[tuple[str, ...], DriverStatement] = {}
        self._conn: PoolProxiedConnection | None = None
        self.commits = 0  # batches committed so far (batching is visible to tests and bench)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # lists of (row, done)
        # Per event loop, the rows submitted in its current turn (see submit_async); only the
        # loop's own thread touches its list.
        self._held: dict[asyncio.AbstractEventLoop, list[tuple[dict[str, Any], Done]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit_async(self, row: dict[str, Any]) -> asyncio.Future[None]:
        """`append` for a coroutine: an asyncio future of the running loop, settled by the
        writer through the loop (no thread-pool future in between).

        The rows a loop submits in one turn reach the writer together, at the end of the turn:
        each hand-over wakes the writer, which then waits for the GIL the loop holds, two
        context switches per row on a busy core (docs/benchmarks.md)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(exc: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, future, exc)

        held = self._held.get(loop)
        if held is None:
            held = self._held[loop] = []
            loop.call_soon(self._hand_over, loop)
        held.append((row, done))
        return future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        items = self._held.pop(loop, None)
        if items:
            self._ensure_writer()
            self._queue.put(items)

    @contextlib.contextmanager
    def expecting(self) -> Iterator[None]:
        """Announce that this caller will submit a row before it leaves the block. While other
        announced rows are on their way, the writer waits for them (up to `expect_wait`) and
        commits them together, as PostgreSQL's commit_delay does when commit_siblings other
        transactions are open: under concurrent load this halves the commits per token, and a
        lone caller never waits."""
        with self._lock:
            self._expected += 1
        try:
            yield
        finally:
            with self._lock:
                self._expected -= 1

    def statement(self, keys: tuple[str, ...]) -> DriverStatement:
        """The INSERT of rows with these keys, compiled once for the engine's dialect (also
        used for rows that commit with a caller's own transaction)."""
        statement = self._inserts.get(keys)
        if statement is None:
            statement = self._inserts[keys] = DriverStatement(
                self._engine.dialect, insert(self._table).inline(), keys
            )
        return statement

    def _put(self, row: dict[str, Any], done: Done) -> None:
        self._ensure_writer()
        self._queue.put([(row, done)])

    def append(self, row: dict[str, Any], timeout: float = 60.0) -> None:
        """Queue `row` and return once it is committed; raise the error that stopped the
        commit (nothing is retried behind the caller's back)."""
        future: Future[None] = Future()

        def done(exc: BaseException | None) -> None:
            if exc is None:
                future.set_result(None)
            else:
                future.set_exception(exc)

        self._put(row, done)
        future.result(timeout)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(10)

    def _ensure_writer(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid:
            return
        with self._lock:
            if self._thread is None or self._pid != pid:  # none yet, or inherited by a fork
                self._queue = queue.SimpleQueue()
                self._pid = pid
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="audit-writer", daemon=True
                )
                self._thread.start()

    def _run(self, q: queue.SimpleQueue[Any]) -> None:
        last_commit, last_batch = 0.0, 0
        while True:
            try:
                item = q.get(timeout=_IDLE)
            except queue.Empty:
                # Quiet: hand the connection back to the pool (which checks it on checkout)
                # rather than hold one a database server may time out.
                self._drop_connection()
                continue
            if item is _STOP:
                self._drop_connection()
                return
            batch = list(item)
            # Under concurrent traffic (the last batch, moments ago, held several rows) wait up
            # to `gather` for more, as PostgreSQL's commit_delay does with commit_siblings: a
            # little latency buys several rows per commit. A lone caller recording one event
            # after another never waits.
            now = time.monotonic()
            busy = last_batch > 1 and now - last_commit < self._gather
            deadline = now + (self._expect_wait if self._expected > 1 else self._gather)
            stop = False
            while len(batch) < self._max_batch:
                # Rows announced by other callers are worth waiting for; once they are all
                # here (or the wait is over) the batch goes.
                coming = self._expected > len(batch)
                try:
                    wait = deadline - time.monotonic() if busy or coming else 0.0
                    nxt = q.get(timeout=wait) if wait > 0 else q.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.extend(nxt)
            self._commit(batch)
            last_commit, last_batch = time.monotonic(), len(batch)
            if stop:
                self._drop_connection()
                return

    def _commit(self, batch: list[tuple[dict[str, Any], Done]]) -> None:
        error: BaseException | None = None
        try:
            rows = [row for row, _ in batch]
            statement = self.statement(tuple(rows[0]))
            # The writer keeps one connection rather than checking one out per batch; after a
            # failure it is dropped and the next batch connects afresh.
            if self._conn is None:
                self._conn = self._engine.raw_connection()
            statement.executemany(self._conn, rows)
            statement.commit(self._conn)
            self.commits += 1
        except BaseException as exc:  # every waiting caller gets it; none waits forever
            error = exc
            self._drop_connection()
        for _, done in batch:
            done(error)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Possibly broken already: the next batch reconnects either way.
            with contextlib.suppress(Exception):
                conn.rollback()  # nothing half-done goes back to the pool
            with contextlib.suppress(Exception):
                conn.close()


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.cancelled():  # the request went away meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
