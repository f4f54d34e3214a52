"""NIST 800-63B password rules and the argon2id upgrade on login."""

from __future__ import annotations

import pytest

from idp.accounts.password_policy import PasswordPolicy, WeakPassword
from idp.accounts.passwords import Argon2Params, PasswordHasher
from idp.accounts.users import UserDirectory
from vault import BlindIndex


@pytest.fixture(scope="module")
def policy() -> PasswordPolicy:
    return PasswordPolicy()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("pendek7", "too_short"),
        ("x" * 257, "too_long"),
        ("password", "common"),
        ("PassWord", "common"),  # case-insensitive
        ("qwertyuiop", "common"),
        ("iloveyou1", "common"),
        ("Bismillah123", "common"),  # shipped Indonesian additions
        ("sayangku", "common"),
    ],
)
def test_rejected(policy, password, reason):
    assert policy.problem(password) == reason


def test_identity_in_the_password_is_rejected(policy):
    ident = ("budisantoso", "budi.s@example.id", "3273012303850002")
    assert policy.problem("budisantoso-2024", identity=ident) == "contains_identity"
    assert policy.problem("X-BUDI.S-rumah-kita", identity=ident) == "contains_identity"
    assert policy.problem("nik3273012303850002", identity=ident) == "contains_identity"
    with pytest.raises(WeakPassword) as exc:
        policy.check("budisantoso!", identity=ident)
    assert "username" in str(exc.value)


def test_no_composition_rules(policy):
    # Long lowercase passphrases and unicode are fine; nothing demands digits or symbols.
    assert policy.problem("kuda lumping menari di alun-alun") is None
    assert policy.problem("sate ayam madura ɐɯɐ 🐔") is None
    assert policy.problem("x" * 256) is None
    assert len(policy.blocklist()) > 19_000


def test_policy_applies_to_admin_created_users(services):
    with pytest.raises(WeakPassword):
        services.users.create(username="siti", password="password1")
    services.users.create(username="siti", password="gunung-salak-berkabut")


def test_login_rehashes_when_argon2_parameters_change(services):
    services.users.create(username="rudi", password="gunung-salak-berkabut")
    old_hash = services.users.find_by_login("rudi").password_hash
    assert "m=8192" in old_hash
    stronger = PasswordHasher(Argon2Params(time_cost=2, memory_cost=9216, parallelism=1))
    directory = UserDirectory(
        services.engine,
        services.db,
        services.cipher,
        BlindIndex(services.provider),
        stronger,
        services.audit,
        services.clock,
    )
    assert directory.authenticate("rudi", "gunung-salak-berkabut") is not None
    new_hash = services.users.find_by_login("rudi").password_hash
    assert new_hash != old_hash and "m=9216,t=2" in new_hash
    # ... and the upgraded hash still verifies.
    assert directory.authenticate("rudi", "gunung-salak-berkabut") is not None
    assert directory.authenticate("rudi", "salah-sandi-sekali") is None
