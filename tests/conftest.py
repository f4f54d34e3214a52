"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, services wired as
in production, an injectable clock, and an HTTP client speaking to the app in-process."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api.db import METADATA
from api.migrate import upgrade
from api.settings import Settings
from tests.openbao import openbao

__all__ = ["openbao"]

# SATUPINTU_TEST_KEYS=transit runs every test against the session's OpenBao dev server
# (a Transit key of each test's own) instead of the local keyring. Not the CI default: slower.
TEST_KEYS = os.environ.get("SATUPINTU_TEST_KEYS", "local")

PG_ADMIN_URL = os.environ.get(
    "SATUPINTU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class FakeClock:
    """Real time by default; tests move it forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def align(self, step: int = 30, into: float = 1.0) -> None:
        """Move forward to `into` seconds past the start of a `step`-second window, so a code
        computed now (e.g. TOTP at an offset of -1 step) cannot cross a step boundary before
        the server checks it."""
        self.advance((into - self().timestamp()) % step)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sqlite-template")
    upgrade(Settings(var_dir=d))
    return d / "satupintu.db"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"satupintu_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(Settings(database_url=url, var_dir=Path("/tmp")))
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = [t.name for md in METADATA for t in md.sorted_tables]
    with engine.begin() as c:
        c.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    base = dict(
        var_dir=tmp_path,
        issuer="http://localhost:8000",
        outbound_allow_networks="127.0.0.0/8,::1/128",  # the test receivers listen here
        backchannel_poll_seconds=0,  # tests drain the outbox explicitly
        argon2_memory_cost=8192,
        argon2_time_cost=1,
    )
    if TEST_KEYS == "transit":
        bao = request.getfixturevalue("openbao")
        base |= dict(vault_addr=bao.addr, vault_token=bao.token, vault_key=bao.fresh_key())
    elif TEST_KEYS != "local":
        raise pytest.UsageError("SATUPINTU_TEST_KEYS must be local or transit")
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        _truncate(url)
        return Settings(database_url=url, **base)
    shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "satupintu.db")
    return Settings(**base)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(settings: Settings, clock: FakeClock):
    from api.services import build_services

    svc = build_services(settings, clock=clock)
    svc.keys.ensure()
    yield svc
    svc.close()


@pytest.fixture
def app(settings: Settings, services):
    from api.app import create_app

    return create_app(settings, services)


@pytest.fixture
def web(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://localhost:8000", follow_redirects=False) as client:
        yield client
