"""The documentation shows the configuration the tests run."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.apache import VHOST, server_config

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_integration_doc_shows_the_apache_configuration_the_test_runs():
    doc = (DOCS / "integration.md").read_text()
    server = server_config("/srv/apache-trial", as_root=True)
    vhost = VHOST.format(
        listen="127.0.0.1:8081",
        host="localhost",
        document_root="/srv/apache-trial/ktp",
        issuer="http://localhost:8000",
        client_id="<client_id>",
        client_secret="<client_secret>",
        app="http://localhost:8081",
        passphrase="<a-long-random-secret>",
        slug="ktp",
    )
    assert f"```apache\n{server}```" in doc
    assert f"```apache\n{vhost}```" in doc
