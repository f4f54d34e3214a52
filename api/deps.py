"""Request-scoped access to the services built by the app factory."""

from __future__ import annotations

from fastapi import Request

from api.services import Services
from api.web.pages import Pages


def services(request: Request) -> Services:
    return request.app.state.services


def pages(request: Request) -> Pages:
    return request.app.state.pages
