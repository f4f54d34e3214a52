"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.asgi.direct_routes import DirectRoutes
from api.asgi.middleware import AsciiQuery, BodyLimit, SecurityHeaders
from api.asgi.token_fast_path import TokenFastPath
from api.assurance import Assurance, assurance
from api.errors import oauth_error, oauth_unavailable, problem
from api.routers import (
    account,
    admin,
    authorize,
    consent,
    discovery,
    home,
    language,
    login,
    logout,
    mfa,
    password_reset,
    registration,
    security,
    signup,
    token,
    userinfo,
)
from api.routers.admin import AdminAuthError
from api.services import Services, build_services
from api.settings import Settings
from api.surfaces import Answers, answers, wants_html
from api.web.csrf import CsrfGuard
from api.web.pages import Pages
from vault import IntegrityFailure, KeyUnavailable, SubjectErased

log = logging.getLogger("satupintu")


class BackchannelWorker:
    """Drains the back-channel logout outbox off the request path, and sweeps expired rows
    (idp.housekeeping) every `housekeeping` seconds."""

    def __init__(self, svc: Services, every: float, housekeeping: float = 0.0) -> None:
        self.svc, self.every, self.housekeeping = svc, every, housekeeping
        self._next_sweep = time.monotonic() + housekeeping
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.every <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="backchannel", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.svc.logout.deliver_due()
            except Exception:  # the worker must survive a database or network blip
                log.warning("back-channel delivery round failed", exc_info=False)
            if self.housekeeping > 0 and time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + self.housekeeping
                try:
                    self.svc.housekeeping.run()
                except Exception:
                    log.warning("housekeeping sweep failed", exc_info=False)
            self._wake.wait(self.every)
            self._wake.clear()


def create_app(settings: Settings | None = None, svc: Services | None = None) -> FastAPI:
    settings = settings or Settings()
    svc = svc or build_services(settings)
    svc.keys.ensure()
    worker = BackchannelWorker(
        svc, settings.backchannel_poll_seconds, settings.housekeeping_seconds
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker.start()
        yield
        worker.stop()

    app = FastAPI(
        title="SatuPintu",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        # FastAPI's OpenTelemetry hooks: nothing here configures a provider, and checking for
        # one on every request is measurable on the token endpoint.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = svc
    app.state.pages = Pages(CsrfGuard(svc.csrf_key, settings.secure_cookies))
    app.state.backchannel_kick = worker.kick
    app.state.backchannel = worker

    for surface in (
        discovery,
        authorize,
        token,
        userinfo,
        registration,
        login,
        consent,
        logout,
        language,
        home,
        mfa,
        security,
        signup,
        password_reset,
        account,
        admin,
    ):
        app.include_router(surface.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    @assurance(Assurance.PUBLIC)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(AdminAuthError)
    async def _admin_auth(request: Request, exc: AdminAuthError) -> Response:
        kind = {401: "unauthorized", 429: "too_many_requests"}.get(exc.status, "forbidden")
        return problem(exc.status, kind, "Not allowed", exc.detail, retry_after=exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return problem(422, "validation", "Invalid request body", errors=errors)

    @app.exception_handler(KeyUnavailable)
    @app.exception_handler(OperationalError)
    async def _unavailable(request: Request, exc: Exception) -> Response:
        log.warning("dependency unavailable: %s", type(exc).__name__)
        if wants_html(request):
            pages: Pages = app.state.pages
            return pages.failure(request, "unavailable")
        if answers(request) is Answers.PROBLEM:
            return problem(
                503,
                "unavailable",
                "Service unavailable",
                "a dependency (database or key service) is unavailable",
            )
        return oauth_unavailable()

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        """The database refused a value the request carried (PostgreSQL takes no NUL in
        text, for one): the request was bad, and its transaction is rolled back."""
        log.info("request value refused by the database: %s", type(exc.orig).__name__)
        if wants_html(request):
            pages: Pages = app.state.pages
            return pages.failure(request, "bad_form")
        if answers(request) is Answers.PROBLEM:
            return problem(422, "invalid_input", "Invalid input", "a value cannot be stored")
        return oauth_error("invalid_request", "A request parameter holds a value not accepted.")

    @app.exception_handler(SubjectErased)
    async def _erased(request: Request, exc: SubjectErased) -> Response:
        if wants_html(request):
            pages: Pages = app.state.pages
            return pages.error(
                request,
                "Account erased",
                "The personal data of this account was erased at the owner's request.",
                status=410,
                code="erased",
            )
        return problem(410, "erased", "The personal data of this subject was erased")

    @app.exception_handler(IntegrityFailure)
    async def _integrity(request: Request, exc: IntegrityFailure) -> Response:
        log.error("ciphertext integrity failure")
        return problem(500, "integrity", "Stored data failed its integrity check")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request) and exc.status_code in (404, 405):
            # 405: e.g. a bookmark to an address that only takes a form post.
            pages: Pages = app.state.pages
            return pages.error(
                request,
                "Page not found",
                "The request could not be completed.",
                status=exc.status_code,
                code="not_found" if exc.status_code == 404 else "method_not_allowed",
            )
        if answers(request) is Answers.PROBLEM or exc.status_code != 405:
            return problem(exc.status_code, "http", str(exc.detail))
        return JSONResponse(
            {"error": "invalid_request", "error_description": "method not allowed"}, status_code=405
        )

    # Inside the two below, so they apply to these as to everything.
    app.add_middleware(TokenFastPath, services=svc)
    app.add_middleware(DirectRoutes)  # the routes declared @direct
    app.add_middleware(AsciiQuery)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app
