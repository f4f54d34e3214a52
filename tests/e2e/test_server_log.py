"""What a real `satupintu serve --workers 2` writes to its log (access log on, as by default)
while citizens, an app and an operator use it, on SQLite and on PostgreSQL: every secret and
every piece of personal data the flows handled is looked for in every line, and none may be
there.

The flows, over plain HTTP with a cookie jar: self-registration and its emailed verification
link; password reset through its emailed link; a second factor (TOTP and recovery codes)
enrolled; authorization-code logins with login_hint (a NIK, an email) and consent, one with a
wrong password first and one with a recovery code; token exchange, refresh, userinfo,
introspection, revocation; RP-initiated logout with id_token_hint and the back-channel logout
it sends; the admin API; and bad requests (a malformed token request, a wrong client secret,
a bogus Bearer token, a request line the HTTP parser refuses, a NUL byte in an id)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx
import pyotp
import pytest
from oic.oic.message import AccessTokenResponse

from idp.selfservice.mail import FileOutbox
from tests.conftest import PG_ADMIN_URL
from tests.e2e.http_citizen import HttpCitizen
from tests.e2e.live import Deployment, PostgresDatabase
from tests.e2e.rp import SCOPE, RegionalApp
from tests.receiver import Receiver

pytestmark = pytest.mark.slow

ORG = "Dinas Kependudukan dan Pencatatan Sipil"
BUDI = {
    "username": "budi.santoso",
    "password": "sawah-hijau-di-karawang-81",
    "email": "budi.santoso@contoh.go.id",
    "nik": "3201011501900001",
    "phone": "+6281234567890",
    "name": "Budi Santoso",
}
SITI = {  # registers herself
    "nik": "3273015506920002",
    "name": "Siti Rahmawati",
    "email": "siti.rahma@contoh.go.id",
    "password": "mangga-muda-di-pasar-baru",
    "new_password": "kopi-tubruk-pagi-hari-99",
}
AGUS = {  # created by an operator through the admin API
    "username": "agus.wijaya",
    "password": "layang-layang-parangtritis-7",
    "email": "agus.wijaya@contoh.go.id",
    "nik": "3171011203850003",
    "phone": "+6289876543210",
    "name": "Agus Wijaya",
}
WRONG_PASSWORD = "bukan-kata-sandinya-2024"
WRONG_CLIENT_SECRET = "tebakan-rahasia-klien-5f3a9c"
BOGUS_BEARER = "palsu.token-admin.9d8e7f6a5b4c"
HOOK_KEY = "kunci-webhook-bansos-77c1e0"  # an app's back-channel URI carries it in its query


@dataclass
class Secrets:
    """Every secret or personal value the flows used, by what it is."""

    values: dict[str, set[str]] = field(default_factory=dict)

    def add(self, label: str, value: object) -> None:
        if isinstance(value, str) and value:
            self.values.setdefault(label, set()).add(value)

    def person(self, who: str, fields: dict[str, str]) -> None:
        for key, value in fields.items():
            self.add(f"{who}'s {key}", value)

    def found_in(self, text: str) -> dict[str, list[str]]:
        """label -> the lines that hold one of its values, as sent or URL-encoded."""
        found: dict[str, list[str]] = {}
        lines = text.splitlines()
        for label, values in self.values.items():
            for value in values:
                forms = {value, quote(value, safe=""), quote_plus(value)}
                # Short values (a six-digit code) only where they stand alone.
                pattern = "|".join(
                    rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])"
                    if len(value) < 12
                    else re.escape(f)
                    for f in forms
                )
                hits = [line for line in lines if re.search(pattern, line)]
                if hits:
                    found.setdefault(label, []).extend(hits[:3])
        return found


@dataclass
class LoggedSite:
    idp: Deployment
    receiver: Receiver
    ktp: dict[str, str]
    operator: dict[str, str]
    secrets: Secrets

    def app(self) -> RegionalApp:
        return RegionalApp(self.idp.issuer, self.ktp)

    def citizen(self) -> HttpCitizen:
        return HttpCitizen(self.idp.issuer, on_secret=self.secrets.add)

    def mailed_link(self, to: str, path: str, timeout: float = 15.0) -> str:
        """The newest link to `path` mailed to `to` (it may be sent after the answer)."""
        pattern = re.compile(re.escape(f"{self.idp.issuer}{path}?token=") + r"[\w\-]+")
        deadline = time.monotonic() + timeout
        while True:
            outbox = FileOutbox(self.idp.var_dir / "outbox", sender="")
            bodies = [
                m.get_body().get_content()  # type: ignore[union-attr]
                for m in (outbox.messages() if outbox.directory.exists() else [])
                if m["To"] == to
            ]
            found = [m.group(0) for body in bodies for m in pattern.finditer(body)]
            if found:
                link = found[-1]
                self.secrets.add(f"{path} token", link.split("token=", 1)[1])
                return link
            assert time.monotonic() < deadline, f"no {path} link mailed to {to}"
            time.sleep(0.1)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def logged_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedSite]:
    db = PostgresDatabase(PG_ADMIN_URL) if request.param == "postgres" else None
    idp = Deployment(
        f"logged-{request.param}",
        tmp_path_factory.mktemp(f"e2e-log-{request.param}"),
        db.url if db else None,
        extra_env={"SATUPINTU_ARGON2_MEMORY_COST": "8192", "SATUPINTU_ACCESS_LOG": "true"},
    )
    receiver = Receiver()
    secrets = Secrets()
    try:
        idp.launch(workers=2)
        idp.cli("orgs", "create", "--name", ORG)
        ktp, operator, _ = idp.cli_together(
            (
                "clients",
                "create",
                "--name",
                "Layanan KTP",
                "--org",
                ORG,
                "--redirect-uri",
                f"{receiver.origin}/ktp/callback",
                "--post-logout-redirect-uri",
                f"{receiver.origin}/ktp/",
                "--backchannel-logout-uri",
                f"{receiver.url}?key={HOOK_KEY}",
                "--grant-type",
                "authorization_code",
                "--grant-type",
                "refresh_token",
                "--scope",
                "openid profile email phone offline_access",
            ),
            (
                "clients",
                "create",
                "--name",
                "Konsol Operator",
                "--grant-type",
                "client_credentials",
                "--scope",
                "openid",
                "--admin-role",
                "national",
            ),
            ("users", "create", *(a for k, v in BUDI.items() for a in (f"--{k}", v))),
        )
        for label, client in (("app", ktp), ("operator client", operator)):
            secrets.add(f"{label}'s client secret", client["client_secret"])
        for label, value in (
            ("wrong password", WRONG_PASSWORD),
            ("wrong client secret", WRONG_CLIENT_SECRET),
            ("bogus Bearer token", BOGUS_BEARER),
            ("back-channel URI key", HOOK_KEY),
        ):
            secrets.add(label, value)
        secrets.person("Budi", BUDI)
        secrets.person("Siti", SITI)
        secrets.person("Agus", AGUS)
        idp.wait_ready()
        yield LoggedSite(idp, receiver, ktp, operator, secrets)
    finally:
        idp.stop()
        receiver.close()
        if db:
            db.drop()


def _signed_up(site: LoggedSite) -> None:
    """Siti registers, opens the verification link, forgets her password and resets it."""
    siti = site.citizen()
    try:
        fields = {k: SITI[k] for k in ("nik", "name", "email", "password")}
        done = siti.submit("/signup", "/signup", fields)
        assert done.status_code == 200, done.text
        verified = siti.get(site.mailed_link(SITI["email"], "/verify-email"))
        assert verified.status_code == 200, verified.text
        sent = siti.submit("/password/forgot", "/password/forgot", {"login": SITI["email"]})
        assert sent.status_code == 200, sent.text
        link = site.mailed_link(SITI["email"], "/password/reset")
        fields = {"token": link.split("token=", 1)[1], "password": SITI["new_password"]}
        changed = siti.submit(link, "/password/reset", fields)
        assert changed.status_code == 200, changed.text
    finally:
        siti.close()


def _second_factor(site: LoggedSite) -> list[str]:
    """Siti turns on an authenticator app; returns the recovery codes she is shown."""
    siti = site.citizen()
    try:
        home = "/account/security"
        assert siti.sign_in(f"/login?next={home}", SITI["email"], SITI["new_password"]) == home
        started = siti.submit(home, f"{home}/totp/start", {})
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text)
        assert secret, started.text
        site.secrets.add("TOTP secret", secret.group(1))
        code = pyotp.TOTP(secret.group(1)).now()
        site.secrets.add("TOTP code", code)
        shown = siti.http.post(
            f"{home}/totp/confirm", data={"csrf_token": siti.form_token(started), "otp": code}
        )
        codes = re.findall(r"<li><code>([^<]+)</code></li>", shown.text)
        assert len(codes) == 10, shown.text
        for c in codes:
            site.secrets.add("recovery code", c)
        return codes
    finally:
        siti.close()


def _remember_tokens(site: LoggedSite, tokens: AccessTokenResponse) -> None:
    for kind in ("access_token", "refresh_token", "id_token_jwt"):
        site.secrets.add(kind, tokens.get(kind))


def _logged_in(
    site: LoggedSite, citizen: HttpCitizen, app: RegionalApp, login: str, password: str, **kw
) -> tuple[Any, AccessTokenResponse]:
    """An authorization-code login with login_hint=`login` and the code exchanged; returns
    (the callback's parameters, the tokens)."""
    url = app.authorization_url(scope=[*SCOPE, "phone"], login_hint=login)
    back = app.callback(citizen.sign_in(url, login, password, **kw))
    pending = app.pending[back["state"]]
    site.secrets.add("state", back["state"])
    site.secrets.add("nonce", pending.request["nonce"])
    site.secrets.add("PKCE code_verifier", pending.code_verifier)
    site.secrets.add("authorization code", back["code"])
    tokens = app.redeem(back["code"], back["state"])
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    _remember_tokens(site, tokens)
    return back, tokens


def _app_calls(site: LoggedSite, app: RegionalApp, state: str) -> None:
    """What the app's back end does with the tokens: refresh, userinfo, introspect, revoke."""
    refreshed = app.refresh(state)
    assert isinstance(refreshed, AccessTokenResponse), refreshed.to_dict()
    _remember_tokens(site, refreshed)
    assert app.userinfo(state)["phone_number"] == BUDI["phone"]
    assert app.introspect(refreshed["access_token"])["active"] is True
    assert app.revoke(refreshed["refresh_token"], "refresh_token").status_code == 200


def _bad_requests(site: LoggedSite, app: RegionalApp, used_code: str, refresh: str) -> None:
    issuer = site.idp.issuer
    reused = app.token_request({"grant_type": "authorization_code", "code": used_code})
    assert reused.status_code == 400
    malformed = httpx.post(
        f"{issuer}/token",
        content=f"grant_type=password&username={BUDI['nik']}&password=%ZZ{WRONG_PASSWORD}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=(app.client_id, app.secret),
    )
    assert malformed.status_code == 400
    wrong_secret = httpx.post(
        f"{issuer}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(app.client_id, WRONG_CLIENT_SECRET),
    )
    assert wrong_secret.status_code == 401
    query = urlencode(
        {"token": "x" * 43, "login_hint": BUDI["email"], "id_token_hint": BOGUS_BEARER}
    )
    assert httpx.get(f"{issuer}/verify-email?{query}").status_code == 400
    # A NUL byte in a looked-up id, which PostgreSQL refuses (a 500 there, with a traceback):
    # the failed statement's parameters are not printed with it.
    httpx.get(f"{issuer}/consent", params={"interaction": f"\x00{BUDI['nik']}"})
    _unparseable_request(site, f"/password/reset?token={BOGUS_BEARER}&login_hint={BUDI['nik']}")


def _unparseable_request(site: LoggedSite, target: str) -> None:
    """A request with secrets in it that the HTTP parser refuses (a space in a header name)."""
    port = site.idp.front.port
    raw = f"GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nBad Header: {BOGUS_BEARER}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw.encode())
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400"), answer


def _admin_calls(site: LoggedSite, sub: str) -> None:
    """An operator's script: a client_credentials token, a user created, sessions listed."""
    issuer, operator = site.idp.issuer, site.operator
    admin = httpx.post(
        f"{issuer}/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(operator["client_id"], operator["client_secret"]),
    )
    assert admin.status_code == 200, admin.text
    bearer = admin.json()["access_token"]
    site.secrets.add("admin access token", bearer)
    headers = {"authorization": f"Bearer {bearer}"}
    created = httpx.post(f"{issuer}/api/v1/users", json=AGUS, headers=headers)
    assert created.status_code == 201, created.text
    sessions = httpx.get(f"{issuer}/api/v1/users/{sub}/sessions", headers=headers)
    assert sessions.status_code == 200 and sessions.json(), sessions.text
    bogus = httpx.get(f"{issuer}/api/v1/keys", headers={"authorization": f"Bearer {BOGUS_BEARER}"})
    assert bogus.status_code == 401


def _logged_out(site: LoggedSite, citizen: HttpCitizen, app: RegionalApp, id_token: str) -> None:
    """RP-initiated logout with id_token_hint; the app's back channel is told."""
    state = "nach-logout-" + "7" * 16
    site.secrets.add("logout state", state)
    ended = citizen.get(app.logout_url(id_token, f"{site.receiver.origin}/ktp/", state))
    assert ended.status_code == 303, ended.text
    deadline = time.monotonic() + 15
    while not site.receiver.received:
        assert time.monotonic() < deadline, "no back-channel logout arrived"
        time.sleep(0.1)
    site.secrets.add("logout token", site.receiver.received[-1].get("logout_token"))


def test_the_server_log_holds_no_secret_and_no_personal_data(logged_site: LoggedSite):
    site = logged_site
    _signed_up(site)
    recovery_codes = iter(_second_factor(site))
    app = site.app()
    budi, siti = site.citizen(), site.citizen()
    try:
        # Budi: a wrong password, then signing in with login_hint = his NIK.
        fields = {"username": BUDI["nik"], "password": WRONG_PASSWORD}
        assert budi.submit("/login", "/login", fields).status_code == 401
        back, _ = _logged_in(site, budi, app, BUDI["nik"], BUDI["password"])
        _app_calls(site, app, back["state"])
        # Siti: login_hint = her email; her password, then a recovery code.
        _, siti_tokens = _logged_in(
            site, siti, app, SITI["email"], SITI["new_password"], otp=lambda: next(recovery_codes)
        )
        _bad_requests(site, app, back["code"], siti_tokens["refresh_token"])
        _admin_calls(site, siti_tokens["id_token"]["sub"])
        _logged_out(site, siti, app, siti_tokens["id_token_jwt"])
    finally:
        budi.close()
        siti.close()

    # The log is complete once the servers have stopped.
    logs = [server.log for server in site.idp.servers]
    site.idp.stop()
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    # The access log was on: the requests that carried secrets in their query are there.
    for request in ("GET /verify-email", "GET /password/reset", "GET /authorize", "GET /logout"):
        assert f'"{request}?' in text, f"no access-log line for {request}:\n{text[-3000:]}"
    found = site.secrets.found_in(text)
    assert not found, "in the server log:\n" + "\n".join(
        f"  {label}: {lines}" for label, lines in sorted(found.items())
    )
