"""Every route declares the surface it belongs to (api/surfaces.py), and the error handlers
answer as that surface does: a page, OAuth error JSON or problem JSON."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts

from api.surfaces import Answers, SurfaceRoute

FRAMEWORK = {"/api/v1/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/healthz"}


def test_every_route_declares_its_surface(app):
    undeclared = [
        f"{sorted(c.methods or ())} {c.path}"
        for c in iter_route_contexts(app.routes)
        if c.path not in FRAMEWORK
        and not (c.path or "").startswith("/static")
        and not isinstance(c.original_route, SurfaceRoute)
    ]
    assert not undeclared, undeclared


def test_the_surfaces(app):
    kinds = {
        (method, c.path): c.original_route.answers
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, SurfaceRoute)
        for method in c.methods or ()
    }
    assert kinds["POST", "/login"] is Answers.PAGE and kinds["GET", "/consent"] is Answers.PAGE
    assert kinds["POST", "/token"] is Answers.OAUTH
    assert kinds["POST", "/register"] is Answers.OAUTH
    assert kinds["GET", "/api/v1/clients"] is Answers.PROBLEM
    assert kinds["GET", "/account"] is Answers.BROWSER


def test_each_surface_answers_a_wrong_method_its_own_way(web):
    page = web.put("/login", headers={"Content-Type": "application/json", "Accept": "*/*"})
    assert page.status_code == 405 and page.headers["content-type"].startswith("text/html")
    oauth = web.put("/token", headers={"Accept": "text/html"})
    assert oauth.status_code == 405 and oauth.json()["error"] == "invalid_request"
    api = web.put("/api/v1/clients", headers={"Accept": "text/html"})
    assert api.status_code == 405 and api.headers["content-type"] == "application/problem+json"
    negotiated = web.put("/account/password", json={})
    assert negotiated.status_code == 405 and negotiated.json()["error"] == "invalid_request"
    assert web.put("/account/password", headers={"Accept": "text/html"}).text.startswith("<!")


def test_unmatched_paths_are_negotiated(web):
    assert web.get("/no-such-page").headers["content-type"].startswith("text/html")
    assert web.post("/no-such-page", json={}).headers["content-type"] == "application/problem+json"
    assert web.get("/api/v1/nothing").headers["content-type"] == "application/problem+json"
