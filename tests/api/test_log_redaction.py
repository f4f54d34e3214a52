"""The server log's redaction (api/server_log.py): access-log lines as uvicorn writes them,
other lines as the app, uvicorn's error log and libraries write them; and the configuration
`satupintu serve` hands uvicorn, run in a process of its own."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

import pytest
from uvicorn.logging import AccessFormatter, DefaultFormatter

from api.server_log import Redaction

NIK = "3201011501900001"
TOKEN = "c3kdI2xUmXSgueyStqLXTt8pe9oIY3SeYZnUxht8_70"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJidWRpIn0.c2lnbmF0dXJl"


def access_line(target: str) -> str:
    """The line uvicorn's access logger writes for GET `target`, through the filter."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:53211", "GET", target, "1.1", 200),
        None,
    )
    assert Redaction().filter(record) is True
    return AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)


def request_target(line: str) -> str:
    return line.split('"GET ', 1)[1].split(" HTTP/1.1", 1)[0]


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (f"/verify-email?token={TOKEN}", "/verify-email?token=***"),
        (f"/password/reset?token={TOKEN}", "/password/reset?token=***"),
        (
            f"/authorize?client_id=ktp&login_hint={NIK}&state=s1&nonce=n1&redirect_uri=http%3A%2F%2Fa",
            "/authorize?client_id=***&login_hint=***&state=***&nonce=***&redirect_uri=***",
        ),
        (
            "/authorize?login_hint=budi%40contoh.go.id&ui_locales=id+en",
            "/authorize?login_hint=***&ui_locales=***",
        ),
        (f"/logout?id_token_hint={JWT}&state=x", "/logout?id_token_hint=***&state=***"),
        # a value the client left empty stays empty; a bare known name stays
        ("/authorize?prompt=&display", "/authorize?prompt=&display"),
        # names SatuPintu does not know are values too (no `=`: the "name" is the secret)
        (f"/ktp/callback?{JWT}", "/ktp/callback?***"),
        (f"/authorize?{NIK}=1&x-api-key={TOKEN}", "/authorize?***=***&***=***"),
        # percent-encoded or plus-encoded names are recognised once decoded
        (f"/verify-email?%74oken={TOKEN}", "/verify-email?token=***"),
        (f"/authorize?login%5Fhint={NIK}", "/authorize?login_hint=***"),
        ("/authorize?login+hint=x", "/authorize?***=***"),
        # odd separators and marks stay inside the value they are part of
        (f"/verify-email?token=a;login_hint={NIK}", "/verify-email?token=***"),
        (f"/verify-email?token=a?login_hint={NIK}", "/verify-email?token=***"),
        (f"/x?token=a=b={NIK}", "/x?token=***"),
        (f"/x?&&state={NIK}&", "/x?&&state=***&"),
        (f"/x?state=%22{NIK}%22", "/x?state=***"),  # uvicorn's escaped quote
        ("/x?state=%E2%80%AE%00%FF", "/x?state=***"),
        ("/x?", "/x?"),
        # paths are kept as sent, encoded question marks and latin-1 included
        ("/api/v1/users/51b9cc67-8818/sessions", "/api/v1/users/51b9cc67-8818/sessions"),
        (f"/a%3Fb/{'é'}?state={NIK}", f"/a%3Fb/{'é'}?state=***"),
        ("/static/app.css", "/static/app.css"),
    ],
)
def test_access_log_keeps_the_path_and_known_names_never_a_value(target: str, shown: str):
    line = access_line(target)
    assert request_target(line) == shown
    assert line.startswith("10.0.0.7:53211 - ") and line.endswith('" 200 OK')


def test_redaction_is_idempotent():
    once = request_target(access_line(f"/authorize?state={NIK}&{TOKEN}"))
    assert request_target(access_line(once)) == once == "/authorize?state=***&***"


def other_line(msg: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.ERROR,
        __file__,
        1,
        msg,
        args,
        (type(exc), exc, exc.__traceback__) if exc else None,
    )
    assert Redaction().filter(record) is True
    return DefaultFormatter("%(levelprefix)s %(message)s", use_colors=False).format(record)


def test_urls_in_other_lines_lose_their_query_and_fragment():
    line = other_line(
        'HTTP Request: %s %s "%s %d %s"',
        "POST",
        f"https://rp.example.go.id/bcl?key={TOKEN}&state={NIK}#access_token={JWT}",
        "HTTP/1.1",
        200,
        "OK",
    )
    assert "https://rp.example.go.id/bcl?***=***&state=***#access_token=***" in line
    assert TOKEN not in line and NIK not in line and JWT not in line


def test_a_url_inside_a_word_or_without_a_path_is_found_too():
    line = other_line("jwks from uri=%s then %s", f"http://rp.go.id?token={TOKEN}", "/x#a=b")
    assert line.endswith("jwks from uri=http://rp.go.id?token=*** then /x#***=***")


def test_a_long_hostile_line_is_redacted_in_one_pass():
    started = time.perf_counter()
    line = other_line("%s %s", "/" * 20_000, f"/x?token={TOKEN}")  # a backtracking pattern: 5 s
    assert time.perf_counter() - started < 1.0
    assert line.endswith("/x?token=***")


def test_a_traceback_loses_the_queries_in_it():
    try:
        raise RuntimeError(f"fetching 'http://127.0.0.1:9/jwks?token={TOKEN}' failed")
    except RuntimeError as exc:
        line = other_line("Exception in ASGI application\n", exc=exc)
    assert "Traceback (most recent call last)" in line
    assert "http://127.0.0.1:9/jwks?token=***" in line and TOKEN not in line


def test_lines_without_urls_are_left_as_they_were():
    assert other_line("mail written to outbox: kind=%s", "verify_email").endswith(
        "mail written to outbox: kind=verify_email"
    )
    assert other_line("Invalid HTTP request received.").endswith("Invalid HTTP request received.")
    assert other_line("%d%% done", 50).endswith("50% done")


# What `satupintu serve` gives uvicorn, applied in a fresh interpreter (uvicorn's workers apply
# it the same way); each logger writes a line with secrets in it.
_PROBE = """
import json, logging, logging.config, sys
from api.server_log import log_config
logging.config.dictConfig(log_config())
args = json.loads(sys.argv[1])
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', *args)
logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
logging.getLogger("satupintu.mail").info("mail sent: kind=%s", "password_reset")
logging.getLogger("satupintu").warning("dependency unavailable: %s", "KeyUnavailable")
logging.getLogger("httpx").info("HTTP Request: POST %s", sys.argv[2])
logging.getLogger("somelib").warning("retrying %s", sys.argv[2])
logging.getLogger("somelib").info("chatter")
"""


def test_serve_log_config_redacts_every_line_it_prints():
    hook = f"http://127.0.0.1:9/backchannel-logout?key={TOKEN}"
    access = ["127.0.0.1:1", "GET", f"/verify-email?token={TOKEN}&login_hint={NIK}", "1.1", 400]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(access), hook],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out, err = done.stdout.splitlines(), done.stderr.splitlines()
    assert out == [
        'INFO:     127.0.0.1:1 - "GET /verify-email?token=***&login_hint=*** HTTP/1.1" '
        "400 Bad Request"
    ]
    assert err == [
        "WARNING:  Invalid HTTP request received.",
        "INFO:     mail sent: kind=password_reset",
        "WARNING:  dependency unavailable: KeyUnavailable",
        # httpx's INFO line (each outbound URL) is not printed; a warning's URL is redacted
        "WARNING:  retrying http://127.0.0.1:9/backchannel-logout?***=***",
    ]
