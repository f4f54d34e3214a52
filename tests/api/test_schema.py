"""The published OpenAPI document, which regional developers generate clients from."""

from __future__ import annotations

import warnings
from collections import Counter


def test_every_operation_has_its_own_id_and_get_post_routes_list_both(web):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns about duplicate operation ids
        paths = web.get("/api/v1/openapi.json").json()["paths"]
    ids = Counter(op["operationId"] for item in paths.values() for op in item.values())
    assert [i for i, n in ids.items() if n > 1] == []
    for path in ("/authorize", "/userinfo", "/logout"):
        assert {"get", "post"} <= set(paths[path])


def test_the_protocol_endpoints_parameters_are_described(web):
    paths = web.get("/api/v1/openapi.json").json()["paths"]
    form = "application/x-www-form-urlencoded"

    def fields(op: dict) -> set[str]:
        return set(op["requestBody"]["content"][form]["schema"]["properties"])

    assert {"grant_type", "code", "code_verifier", "client_assertion"} <= fields(
        paths["/token"]["post"]
    )
    assert {"token", "token_type_hint"} <= fields(paths["/introspect"]["post"])
    assert {"token", "token_type_hint"} <= fields(paths["/revoke"]["post"])
    register = paths["/register"]["post"]["requestBody"]["content"]["application/json"]
    assert "redirect_uris" in register["schema"]["properties"]
    for path, name in (("/authorize", "redirect_uri"), ("/logout", "post_logout_redirect_uri")):
        assert name in {p["name"] for p in paths[path]["get"]["parameters"]}
    assert "Authorization" in {p["name"] for p in paths["/userinfo"]["get"]["parameters"]}
