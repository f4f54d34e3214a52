"""A few hot pages called straight from ASGI, around FastAPI's router: the routes whose
endpoint is declared `@direct`.

Every password sign-in posts `/login`, and beside argon2id itself the request's cost is what
`make bench` holds to a tenth. FastAPI's routing (each included router matched in turn), its
dependency solving and its exception wrappers came to ~0.2 ms of the event loop's ~1.2 ms per
sign-in. The endpoint takes nothing but the `Request`, so this middleware calls the very same
function with a `Request` of the scope; the route stays registered for the schema and for
anything this does not take. The routes are collected from the application's own at start-up
(the first scope it is handed, lifespan or request), so a path is written once, on its route;
the scope names the route as routing would (`scope["route"]`), for the exception handlers that
ask which surface answers. Exceptions go to the application's own handlers, looked up as
Starlette looks them up (by class, most specific first); one without a handler propagates to
the server-error middleware, as from the router. Security headers and the body limit wrap this
as they wrap everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]
E = TypeVar("E", bound=Endpoint)


def direct(endpoint: E) -> E:
    """Declares a route's endpoint to be called straight from ASGI by DirectRoutes. It must
    take nothing but the `Request` (no parameters or dependencies for FastAPI to solve)."""
    endpoint.__direct__ = True  # type: ignore[attr-defined]
    return endpoint


def is_direct(endpoint: Callable[..., Any] | None) -> bool:
    return getattr(endpoint, "__direct__", False) is True


def direct_routes(routes: Iterable[BaseRoute]) -> dict[tuple[str, str], tuple[BaseRoute, Endpoint]]:
    """(method, path) → (route, endpoint) for every route of `routes`, included routers' too,
    whose endpoint is declared `@direct`."""
    found: dict[tuple[str, str], tuple[BaseRoute, Endpoint]] = {}
    for context in iter_route_contexts(list(routes)):
        if not is_direct(context.endpoint) or context.path is None:
            continue
        for method in context.methods or ():
            found[(method, context.path)] = (
                context.original_route,
                cast(Endpoint, context.endpoint),
            )
    return found


class DirectRoutes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], tuple[BaseRoute, Endpoint]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._routes is None:
            self._routes = direct_routes(scope["app"].routes)
        found = (
            self._routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        route, endpoint = found
        scope.update(route=route, endpoint=endpoint, path_params={})
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = _handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)


def _handler(handlers: Mapping[object, Handler], exc: Exception) -> Handler | None:
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None
