"""Group commit: audit rows recorded outside a business transaction share one commit.

Every caller keeps its guarantee (its row is committed before it is told so), but rows that
arrive together are inserted in one statement and one transaction by a single writer thread, so
a busy token endpoint pays one commit per batch instead of one per token. One writer also keeps
appends in arrival order, which a hash-chained trail needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Engine

_STOP = object()
_IDLE = 1.0  # seconds without rows before the writer lets go of its connection
Done = Callable[[BaseException | None], None]  # told the commit's outcome


class GroupCommit:
    def __init__(
        self, engine: Engine, table: Table, max_batch: int = 256, gather: float = 0.002
    ) -> None:
        self._engine, self._table, self._max_batch = engine, table, max_batch
        self._gather = gather
        self._insert = insert(table)
        self._conn: Connection | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit_async(self, row: dict[str, Any]) -> asyncio.Future[None]:
        """`append` for a coroutine: an asyncio future of the running loop, settled by the
        writer through the loop (no thread-pool future in between)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(exc: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, future, exc)

        self._put(row, done)
        return future

    def _put(self, row: dict[str, Any], done: Done) -> None:
        self._ensure_writer()
        self._queue.put((row, done))

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
            batch = [item]
            # Under concurrent traffic (the last batch, moments ago, held several rows) wait up
            # to `gather` for more, as PostgreSQL's commit_delay does with commit_siblings: a
            # little latency buys several rows per commit. A lone caller recording one event
            # after another never waits.
            busy = last_batch > 1 and time.monotonic() - last_commit < self._gather
            deadline = time.monotonic() + self._gather
            stop = False
            while len(batch) < self._max_batch:
                try:
                    wait = deadline - time.monotonic() if busy else 0.0
                    nxt = q.get(timeout=wait) if wait > 0 else q.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            last_commit, last_batch = time.monotonic(), len(batch)
            if stop:
                self._drop_connection()
                return

    def _commit(self, batch: list[tuple[dict[str, Any], Done]]) -> None:
        error: BaseException | None = None
        try:
            # The writer keeps one connection rather than checking one out per batch; after a
            # failure it is dropped and the next batch connects afresh.
            if self._conn is None:
                self._conn = self._engine.connect()
            with self._conn.begin():
                self._conn.execute(self._insert, [row for row, _ in batch])
        except BaseException as exc:  # every waiting caller gets it; none waits forever
            error = exc
            self._drop_connection()
        for _, done in batch:
            done(error)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken; the next batch reconnects
                conn.close()


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.cancelled():  # the request went away meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
