"""Back-channel logout reaches an app that was down when the citizen logged out, once it is up
again: the server's worker retries with backoff (first retry 2 s after the first attempt)."""

from __future__ import annotations

import time

import pytest
from oic.oic.message import AccessTokenResponse

from tests.e2e.citizen import Citizen
from tests.e2e.conftest import PASSWORD, USERNAME, Site
from tests.e2e.rp import RegionalApp
from tests.receiver import Receiver

pytestmark = pytest.mark.slow


def test_logout_token_delivered_after_the_app_comes_back(site: Site, citizen: Citizen):
    port = site.bansos_port  # nothing listens here yet: the app is down
    down_url = f"http://127.0.0.1:{port}/backchannel-logout"
    app = RegionalApp(site.idp.issuer, site.bansos, back_url=site.idp.back.url)
    back = app.callback(
        citizen.log_in_through(app.authorization_url(scope=["openid"]), USERNAME, PASSWORD)
    )
    tokens = app.redeem(back["code"], back["state"])
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    sid = tokens["id_token"]["sid"]

    citizen.open(f"{site.idp.issuer}/logout?id_token_hint={tokens['id_token_jwt']}")
    assert "Anda sudah keluar" in citizen.main_text()
    time.sleep(0.8)  # the worker polls every 0.2 s: the first attempt has failed by now
    receiver = Receiver(port=port)
    try:
        deadline = time.monotonic() + 15
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.received, "the logout token was never retried"
        token = app.verify_logout_token(receiver.received[0])
        assert token["sid"] == sid and token["sub"] == site.sub and "nonce" not in token
        # The outbox row records the failed first attempt and the later delivery (the server
        # marks it delivered just after the receiver answered).
        sql = "SELECT attempts, delivered_at FROM idp_logout_deliveries WHERE uri = :u"
        deadline = time.monotonic() + 5
        while not (rows := site.idp.query(sql, u=down_url))[0][1] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(rows) == 1 and rows[0][0] >= 2 and rows[0][1] is not None
    finally:
        receiver.close()
