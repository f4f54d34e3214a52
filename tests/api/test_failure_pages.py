"""The shared failure pages (api.pages.FAILURES) read in Bahasa Indonesia by default, with
their status and error code, whichever route answers with them."""

from __future__ import annotations

import pytest

from api.web.i18n import load_catalogs
from api.web.pages import FAILURES


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_every_failure_page_has_indonesian_text(kind):
    indonesian = load_catalogs()["id"]
    message = FAILURES[kind][0]
    assert indonesian.gettext(message) != message, f"no Indonesian text for {message!r}"
    assert indonesian.gettext("Something went wrong") == "Terjadi kesalahan"


def test_a_consent_post_of_an_unknown_sign_in_gets_the_expired_page(web):
    r = web.post("/consent", data={"interaction": "tidak-ada", "decision": "approve"})
    assert r.status_code == 400
    assert "Permintaan masuk ini sudah kedaluwarsa" in r.text
    assert "<code>interaction_expired</code>" in r.text
    assert r.headers["content-language"] == "id"


def test_a_consent_post_that_is_not_a_form_gets_the_bad_form_page_in_english_when_asked(web):
    r = web.post(
        "/consent",
        content=b'{"decision": "approve"}',
        headers={"content-type": "application/json", "accept-language": "en"},
    )
    assert r.status_code == 400
    assert "The request could not be completed." in r.text
    assert "<code>invalid_request</code>" in r.text
    assert r.headers["content-language"] == "en"
