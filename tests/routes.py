"""The application's HTTP routes as (method, path, endpoint), for tests that walk every route.

FastAPI includes routers lazily (`app.routes` holds the included routers, not their routes),
so this descends into them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def http_routes(app: Any) -> list[tuple[str, str, Callable[..., Any]]]:
    found: list[tuple[str, str, Callable[..., Any]]] = []

    def walk(routes: Iterable[Any], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                walk(included.routes, prefix + route.include_context.prefix)
                continue
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    found.append((method, prefix + route.path, route.endpoint))

    walk(app.routes, "")
    return found
