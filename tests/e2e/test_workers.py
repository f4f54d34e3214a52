"""`satupintu serve --workers 2` starts two worker processes that serve the whole flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oic.oic.message import AccessTokenResponse

from tests.e2e.citizen import Citizen
from tests.e2e.live import Deployment
from tests.e2e.rp import RegionalApp
from tests.receiver import Receiver

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    idp = Deployment("workers", tmp_path_factory.mktemp("e2e-workers"))
    try:
        idp.start(workers=2)
        yield idp
    finally:
        idp.stop()


def test_serve_with_two_workers(two_workers: Deployment, browser):
    idp = two_workers
    supervisor = idp.front.proc.pid
    # uvicorn's supervisor, its two workers (and perhaps a resource tracker).
    assert len(_children(supervisor)) >= 2
    app_host = Receiver()
    context = browser.new_context(locale="id-ID")
    try:
        registration, _ = idp.cli_together(
            (
                "clients",
                "create",
                "--name",
                "Layanan Perizinan",
                "--redirect-uri",
                f"{app_host.origin}/cb",
                "--scope",
                "openid profile offline_access",
                "--skip-consent",
            ),
            ("users", "create", "--username", "sinta", "--password", "pohon-kelapa-hijau-42"),
        )
        app = RegionalApp(idp.issuer, registration)
        citizen = Citizen(context, app_host.origin)
        url = app.authorization_url(scope=["openid", "profile", "offline_access"])
        back = app.callback(citizen.log_in_through(url, "sinta", "pohon-kelapa-hijau-42"))
        tokens = app.redeem(back["code"], back["state"])
        assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
        # Several refreshes land on either worker; each rotation is seen by both.
        for _ in range(4):
            assert isinstance(app.refresh(back["state"]), AccessTokenResponse)
        assert app.userinfo(back["state"])["preferred_username"] == "sinta"
    finally:
        context.close()
        app_host.close()
