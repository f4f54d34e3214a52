"""Shared helpers for the account tests: the file outbox and form posts."""

from __future__ import annotations

import re
from typing import Any

from tests.oidc_rp import csrf_of

LINK = re.compile(r"http://localhost:8000(/[^\s]+)")


def outbox(services: Any) -> list[Any]:
    return services.mailer.messages()


def last_link(services: Any, to: str) -> str:
    mail = [m for m in outbox(services) if m["To"] == to][-1]
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def submit(web: Any, page_path: str, action: str, data: dict[str, str]) -> Any:
    page = web.get(page_path)
    assert page.status_code == 200, page.text
    return web.post(action, data={**data, "csrf_token": csrf_of(page.text)})


def sign_in(web: Any, login: str, password: str, next_path: str = "") -> Any:
    data = {"username": login, "password": password}
    if next_path:
        data["next"] = next_path
    return submit(web, "/login", "/login", data)
