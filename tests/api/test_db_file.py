"""The embedded database file is the owner's alone: it holds password hashes and wrapped keys."""

from __future__ import annotations

import stat

from sqlalchemy import text

from api.db import make_engine


def test_sqlite_file_and_its_wal_are_private(tmp_path):
    db = tmp_path / "satupintu.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
        c.execute(text("INSERT INTO t VALUES (1)"))
    for path in (db, tmp_path / "satupintu.db-wal"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    engine.dispose()
