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
