"""What a password sign-in reads of an account (UserDirectory.credentials)."""

from __future__ import annotations


def test_credentials_by_username_email_or_nik(services):
    sub = services.users.create(
        username="siti.aminah",
        password="Pintu-tolok-ukur-2024-xq",
        email="Siti@Example.go.id",
        nik="3171012345670001",
    ).sub
    for login in ("siti.aminah", " siti.aminah ", "siti@example.go.id", "3171012345670001"):
        found = services.users.credentials(login)
        assert found is not None and found.id == sub, login
        assert found.password_hash and found.password_hash.startswith("$argon2id$")
        assert not found.disabled and not found.pending_verification
    for login in ("", "siti", "lain@example.go.id", "3171012345670002", "x" * 400):
        assert services.users.credentials(login) is None, login


def test_an_erased_account_has_no_credentials(services):
    sub = services.users.create(
        username="budi.santoso", password="Pintu-tolok-ukur-2024-xq", email="budi@example.go.id"
    ).sub
    assert services.users.credentials("budi.santoso") is not None
    services.users.erase(sub)
    assert services.users.credentials("budi.santoso") is None
    assert services.users.credentials("budi@example.go.id") is None
