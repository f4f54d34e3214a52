"""Engine construction for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine

import audit.log
import consent.records
import idp.schema
import vault.keystore

# Every package's tables, in one list for Alembic and for test set-up.
METADATA: list[MetaData] = [
    vault.keystore.Base.metadata,
    audit.log.Base.metadata,
    idp.schema.METADATA,
    consent.records.Base.metadata,
]


def _private_file(url: str) -> None:
    """Create the SQLite file readable by the owner only (SQLite gives its -wal and -shm files
    the database file's mode): it holds password hashes and wrapped keys, even if every
    personal field is ciphertext."""
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's error shows its SQL, never its bound values (blind
    # indexes, hashes, ciphertexts, an interaction's login_hint); a traceback reaches the log.
    if url.startswith("sqlite"):
        _private_file(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: no fsync per commit (only at checkpoints). Still corruption-safe;
            # a power cut may lose the last commits, an application crash loses none. Measured
            # here: 8.9 -> 2.3 ms wall and 1.8 -> 0.9 ms CPU per audited commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )
