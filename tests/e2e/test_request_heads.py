"""`satupintu serve --workers 2` bounds request heads by SATUPINTU_MAX_HEADER_BYTES and
SATUPINTU_MAX_HEADERS in each worker (the settings reach the spawned workers with uvicorn's
config), refusing before the application runs, and serves what is within them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.live import Deployment
from tests.raw_http import exchange, head

pytestmark = pytest.mark.slow

LIMIT, FIELDS = 8192, 20
TRIES = 6  # connections per case, spread over both workers


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    extra = {"SATUPINTU_MAX_HEADER_BYTES": str(LIMIT), "SATUPINTU_MAX_HEADERS": str(FIELDS)}
    idp = Deployment("heads", tmp_path_factory.mktemp("e2e-heads"), extra_env=extra)
    try:
        idp.start(workers=2)
        yield idp.front.port
    finally:
        idp.stop()


def test_heads_within_the_configured_limits_are_served(port: int) -> None:
    for _ in range(TRIES):
        status, _, body, gone = exchange(port, head(size=LIMIT, fields=FIELDS))
        assert (status, json.loads(body), gone) == (200, {"status": "ok"}, False)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (head(size=LIMIT + 512, fields=2), 431),
        (head(fields=FIELDS + 1), 431),
        (head(path="/healthz?" + "a" * LIMIT), 414),
    ],
    ids=["bytes", "fields", "uri"],
)
def test_heads_over_the_configured_limits_are_refused(
    port: int, data: bytes, expected: int
) -> None:
    for _ in range(TRIES):
        status, fields, body, gone = exchange(port, data)
        assert (status, gone) == (expected, True)
        assert fields["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == expected
