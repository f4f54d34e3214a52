"""The language switch in the page header brings the visitor back to the same page, also when
the page answered a form post (whose address may have no GET at all)."""

from __future__ import annotations

import html
import re

from tests.api.helpers_account import last_link, sign_in, submit
from tests.api.test_account_page import PASSWORD, make_user, post_account

SWITCH = re.compile(r'<a href="(/lang\?[^"]+)" hreflang="en">English</a>')


def switch_to_english(web, page):
    """Click "English": follow /lang and the redirect it answers with."""
    found = SWITCH.search(page.text)
    assert found, page.text
    r = web.get(html.unescape(found.group(1)))
    assert r.status_code == 303
    return r.headers["location"], web.get(r.headers["location"])


def test_after_a_refused_password_change_the_switch_returns_to_the_account_page(web, services):
    make_user(services)
    sign_in(web, "ratna", PASSWORD, next_path="/account")
    refused = post_account(
        web, "/account/password", {"current_password": "salah", "new_password": "x" * 20}
    )
    assert refused.status_code == 400
    target, page = switch_to_english(web, refused)
    assert target == "/account"
    assert page.status_code == 200 and "<h1>My account</h1>" in page.text


def test_after_a_wrong_password_the_switch_keeps_where_sign_in_leads(web, services):
    make_user(services)
    wrong = sign_in(web, "ratna", "bukan-ini", next_path="/account")
    assert wrong.status_code == 401
    target, page = switch_to_english(web, wrong)
    assert target == "/login?next=%2Faccount"
    assert 'name="next" value="/account"' in page.text and "<h1>Sign in</h1>" in page.text


def test_after_a_refused_new_password_the_switch_keeps_the_reset_link(web, services):
    make_user(services)
    submit(web, "/password/forgot", "/password/forgot", {"login": "ratna"})
    link = last_link(services, "ratna@contoh.id")
    token = link.split("token=", 1)[1]
    refused = submit(web, link, "/password/reset", {"token": token, "password": "password1"})
    assert refused.status_code == 400
    _, page = switch_to_english(web, refused)
    assert page.status_code == 200 and "<h1>Choose a new password</h1>" in page.text


def test_a_page_answering_a_post_without_an_address_has_no_switch(web, services):
    done = submit(web, "/password/forgot", "/password/forgot", {"login": "siapa-saja"})
    assert done.status_code == 200 and "/lang?" not in done.text
