"""A few hot pages called straight from ASGI, around FastAPI's router.

Every password sign-in posts `/login`, and beside argon2id itself the request's cost is what
`make bench` holds to a tenth. FastAPI's routing (each included router matched in turn), its
dependency solving and its exception wrappers came to ~0.2 ms of the event loop's ~1.2 ms per
sign-in. The endpoint takes nothing but the `Request`, so this middleware calls the very same
function with a `Request` of the scope; the route stays registered for the schema and for
anything this does not take. Exceptions go to the application's own handlers, looked up as
Starlette looks them up (by class, most specific first); one without a handler propagates to
the server-error middleware, as from the router. Security headers and the body limit wrap this
as they wrap everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


class DirectRoutes:
    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self.app, self._routes = app, dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self._routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if endpoint is None:
            await self.app(scope, receive, send)
            return
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
