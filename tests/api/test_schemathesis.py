"""Schemathesis over the whole OpenAPI document (/api/v1/openapi.json), the protocol
endpoints included (api/openapi_protocol.py describes their parameters), against the
in-process ASGI app, with an admin Bearer token for the /api/v1 routes: no operation answers
a server error whatever schemathesis sends it. On SQLite only: the fuzz tests
(tests/api/test_fuzz.py) send their hostile input to PostgreSQL too."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.test_admin_and_registration import admin_token


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def admin_headers(web, services) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(web, services)}"}


SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_operation_answers_a_server_error(app, admin_headers):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30  # the admin API and the protocol endpoints
    for operation in operations:
        # The admin token goes to every /api/v1 route, where it lets a request reach the
        # handler; elsewhere the case's own headers (a Bearer of its own, or none) go.
        headers = admin_headers if operation.path.startswith("/api/v1") else None
        _fuzz(operation, headers)


def _fuzz(operation, headers: dict[str, str] | None) -> None:
    @SETTINGS
    @given(case=operation.as_strategy())
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    check()
