"""End-to-end fixtures: real server processes (`satupintu migrate` + `satupintu serve`) on
SQLite, on PostgreSQL, and as two servers sharing one PostgreSQL database and keyring; apps and
a citizen created with the operator CLI; a real headless Chromium.

One deployment per parameter serves the whole e2e session: tests use fresh browser contexts
(fresh SSO sessions) instead of fresh servers, which keeps the run within a few minutes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import PG_ADMIN_URL
from tests.e2e.citizen import Citizen
from tests.e2e.live import Deployment, PostgresDatabase, free_port
from tests.e2e.mfa_live import mfa_idp  # noqa: F401
from tests.e2e.rp import RegionalApp
from tests.receiver import Receiver

PASSWORD = "kata-sandi-rahasia-2024"
USERNAME = "budi"
ORG = "Dinas Kependudukan"


@dataclass
class Site:
    """What an operator set up by following the README: an organisation, two regional apps
    (the second is first-party, without a consent screen) and a citizen."""

    idp: Deployment
    origin: str  # where the apps live (the receiver serves their pages)
    ktp: dict[str, Any]
    sehat: dict[str, Any]
    sub: str
    receiver: Receiver
    bansos: dict[str, Any]  # its back-channel endpoint is down until a test brings it up
    bansos_port: int

    def app(self, registration: dict[str, Any]) -> RegionalApp:
        return RegionalApp(self.idp.issuer, registration, back_url=self.idp.back.url)


def _set_up(idp: Deployment, receiver: Receiver) -> Site:
    """The README's commands, run while the servers start."""
    origin = receiver.origin
    idp.cli("orgs", "create", "--name", ORG)
    common = (
        "--org",
        ORG,
        "--backchannel-logout-uri",
        receiver.url,
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--scope",
        "openid profile email offline_access",
    )
    bansos_port = free_port()
    ktp, sehat, bansos, user = idp.cli_together(
        (
            "clients",
            "create",
            "--name",
            "Layanan KTP",
            "--redirect-uri",
            f"{origin}/ktp/callback",
            "--post-logout-redirect-uri",
            f"{origin}/ktp/",
            *common,
        ),
        (
            "clients",
            "create",
            "--name",
            "Layanan Kesehatan",
            "--redirect-uri",
            f"{origin}/sehat/callback",
            "--skip-consent",
            *common,
        ),
        (
            "clients",
            "create",
            "--name",
            "Layanan Bansos",
            "--org",
            ORG,
            "--redirect-uri",
            f"{origin}/bansos/callback",
            "--backchannel-logout-uri",
            f"http://127.0.0.1:{bansos_port}/backchannel-logout",
            "--skip-consent",
        ),
        (
            "users",
            "create",
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
            "--email",
            "budi@example.id",
            "--nik",
            "3201011501900001",
            "--name",
            "Budi Santoso",
        ),
    )
    return Site(idp, origin, ktp, sehat, user["sub"], receiver, bansos, bansos_port)


@pytest.fixture(
    scope="session",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres-2-servers", marks=pytest.mark.postgres),
    ],
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    kind = str(request.param)
    db = PostgresDatabase(PG_ADMIN_URL) if kind.startswith("postgres") else None
    idp = Deployment(kind, tmp_path_factory.mktemp(f"e2e-{kind}"), db.url if db else None)
    receiver = Receiver()
    try:
        idp.launch(count=2 if kind == "postgres-2-servers" else 1)
        ready = _set_up(idp, receiver)
        idp.wait_ready()
        yield ready
    finally:
        idp.stop()
        receiver.close()
        if db:
            db.drop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield b
        b.close()


@pytest.fixture
def citizen(browser: Browser, site: Site) -> Iterator[Citizen]:
    """A fresh browser profile (no SSO session yet), speaking Indonesian."""
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(15_000)
    yield Citizen(context, site.origin)
    context.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.sites(...)` runs a test only on the deployments it names: the others are
    deselected (not skipped), so a run never reports a skip for a test that cannot apply."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("sites")
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("site") if callspec else None
        (drop if marker and kind not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    found = getattr(item, "funcargs", {}).get("site")
    if report.failed and isinstance(found, Site):
        report.sections.append(("satupintu server output", found.idp.logs()))
