"""Pairwise subjects and sector_identifier_uri (OIDC Core §8.1, OIDC Dynamic Client Registration
§5): the document is fetched through the SSRF guard at registration and must list every
redirect URI; a pairwise client on more than one host must register one."""

from __future__ import annotations

import json
import re

import pytest

from idp.errors import InvalidInput
from idp.oauth.models import ClientRecord
from tests.api.test_admin_and_registration import admin_token
from tests.receiver import Receiver

REDIRECTS = ["https://ktp.example.go.id/callback", "https://ktp-mobile.example.go.id/cb"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _sector(receiver: Receiver, body: object, status: int = 200) -> str:
    """Serve `body` as the sector document; returns its URI."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    receiver.documents["/sector.json"] = (status, raw)
    return f"{receiver.origin}/sector.json"


def _pairwise(services, **meta):
    return services.clients.create(
        name="Layanan KTP",
        metadata={"redirect_uris": REDIRECTS, "subject_type": "pairwise", **meta},
    )[0]


def test_a_sector_document_listing_every_redirect_uri_is_fetched_and_accepted(services, receiver):
    uri = _sector(receiver, [*REDIRECTS, "https://other.example.go.id/cb"])
    client = _pairwise(services, sector_identifier_uri=uri)
    assert receiver.visited == [uri]
    assert client.sector_identifier == "127.0.0.1"  # the sector's host, shared by both apps
    twin = _pairwise(services, sector_identifier_uri=uri)
    sub = services.subjects.for_client
    assert sub(client, "u-1") == sub(twin, "u-1") != sub(client, "u-2")


BAD_DOCUMENTS = [
    (REDIRECTS[:1], "https://ktp-mobile.example.go.id/cb"),  # one redirect URI missing
    ({"redirect_uris": REDIRECTS}, "JSON array"),
    ([REDIRECTS[0], 7], "JSON array"),
    (b"<html>not json</html>", "not JSON"),
]


@pytest.mark.parametrize(("body", "said"), BAD_DOCUMENTS)
def test_registration_refuses_a_sector_document_that_does_not_list_the_redirect_uris(
    web, services, receiver, body, said
):
    uri = _sector(receiver, body)
    iat = services.registration.issue_initial_token(org_id=None)
    r = web.post(
        "/register",
        json={"redirect_uris": REDIRECTS, "subject_type": "pairwise", "sector_identifier_uri": uri},
        headers={"Authorization": f"Bearer {iat}"},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    assert uri in r.json()["error_description"] and said in r.json()["error_description"]
    assert receiver.visited == [uri] and services.clients.list() == []


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("https://sector.invalid/ktp.json", "cannot resolve sector.invalid"),
        ("https://10.0.0.5/sector.json", "SATUPINTU_OUTBOUND_ALLOW_NETWORKS"),
        ("http://sector.example.go.id/ktp.json", "must use https"),
    ],
)
def test_a_sector_document_that_cannot_be_fetched_is_refused(services, uri, said):
    with pytest.raises(InvalidInput, match=re.escape(said)):
        _pairwise(services, sector_identifier_uri=uri)


def test_a_sector_document_answered_with_an_error_is_refused(services, receiver):
    uri = _sector(receiver, REDIRECTS, status=404)
    with pytest.raises(InvalidInput, match="HTTP 404"):
        _pairwise(services, sector_identifier_uri=uri)


def test_a_pairwise_client_on_several_hosts_needs_a_sector_identifier_uri(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    body = {"name": "Layanan KTP", "redirect_uris": REDIRECTS, "subject_type": "pairwise"}
    r = web.post("/api/v1/clients", json=body, headers=h)
    assert r.status_code == 422 and r.json()["type"].endswith("/invalid_client_metadata")
    assert "sector_identifier_uri" in r.json()["detail"]
    assert "ktp-mobile.example.go.id" in r.json()["detail"]
    iat = services.registration.issue_initial_token(org_id=None)
    r = web.post("/register", json=body, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    # One host, or public subjects: nothing to share, nothing asked.
    one_host = {**body, "redirect_uris": [REDIRECTS[0], REDIRECTS[0] + "/2"]}
    assert web.post("/api/v1/clients", json=one_host, headers=h).status_code == 201
    public = {**body, "subject_type": "public"}
    assert web.post("/api/v1/clients", json=public, headers=h).status_code == 201


def test_an_existing_pairwise_client_on_several_hosts_keeps_its_subjects(services):
    """Rows from before the rule are read as they were: sector = client_id."""
    client = _pairwise(services, redirect_uris=REDIRECTS[:1])
    with services.db.begin() as s:
        rec = s.get(ClientRecord, client.client_id)
        rec.client_metadata = {**rec.client_metadata, "redirect_uris": REDIRECTS}
    stored = services.clients.require(client.client_id)
    assert stored.sector_identifier == client.client_id
    before = services.subjects.for_client(stored, "u-1")
    updated = services.clients.update(client.client_id, {"require_mfa": True})
    assert services.subjects.for_client(updated, "u-1") == before


def test_changing_redirect_uris_checks_the_sector_document_again(services, receiver):
    uri = _sector(receiver, REDIRECTS)
    client = _pairwise(services, sector_identifier_uri=uri)
    moved = [*REDIRECTS, "https://baru.example.go.id/cb"]
    with pytest.raises(InvalidInput, match=re.escape("https://baru.example.go.id/cb")):
        services.clients.update(client.client_id, {"redirect_uris": moved})
    assert services.clients.require(client.client_id).redirect_uris == REDIRECTS
    assert receiver.visited == [uri, uri]
