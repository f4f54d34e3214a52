"""Turns Starlette requests into idp's plain HttpRequest, and HttpResponse back."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response

from idp.oauth.requests import HttpRequest, HttpResponse

MAX_FORM_FIELDS = 64


class BadForm(Exception):
    """The body is not a well-formed application/x-www-form-urlencoded form."""


def parse_form(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm(str(exc)) from exc


def form_body(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The fields of a POST body; BadForm unless it is an urlencoded form (or empty)."""
    if not body:
        return []
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadForm("content type must be application/x-www-form-urlencoded")
    return parse_form(body)


async def read_form(request: Request) -> list[tuple[str, str]]:
    """The urlencoded form of a POST; BadForm for any other content type."""
    if request.method != "POST":
        return []
    return form_body(request.headers.get("content-type", ""), await request.body())


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def to_http_request(request: Request, issuer: str, *, with_json: bool = False) -> HttpRequest:
    query = parse_qsl(request.url.query, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    form: list[tuple[str, str]] = []
    body_json: Any = None
    if with_json:
        try:
            body_json = json.loads(await request.body() or b"null")
        except ValueError as exc:
            raise BadForm("body is not JSON") from exc
    else:
        form = await read_form(request)
    url = issuer + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HttpRequest(
        method=request.method,
        url=url,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=query,
        form=form,
        json=body_json,
        remote_addr=client_ip(request),
    )


def to_response(resp: HttpResponse) -> Response:
    headers = dict(resp.headers)
    body = resp.body
    if isinstance(body, dict):
        body = json.dumps(body)
    media = headers.pop("Content-Type", None) or headers.pop("content-type", None)
    if media is None and body:
        media = "application/json"
    return Response(content=body or b"", status_code=resp.status, headers=headers, media_type=media)
