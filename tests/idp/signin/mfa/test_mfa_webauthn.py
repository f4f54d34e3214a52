"""Passkeys through py_webauthn with a software authenticator: register several, use one as a
second factor and passwordless, counters, single-use challenges, rename and remove."""

from __future__ import annotations

import pytest

from idp.signin.mfa.webauthn import PasskeyRejected
from tests.soft_authenticator import SoftAuthenticator


@pytest.fixture
def user(services):
    return services.users.create(username="wayan", password="kata-sandi-rahasia").sub


def _register(services, uid, auth, name="Laptop"):
    handle, options = services.factors.passkeys.registration_options(uid, "wayan")
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    return services.factors.passkeys.register(uid, handle, auth.create(options), name)


def test_register_several_and_sign_in_both_ways(services, user):
    auth = SoftAuthenticator("http://localhost:8000")
    first = _register(services, user, auth, "Laptop")
    _register(services, user, auth, "Ponsel")
    assert [k.name for k in services.factors.passkeys.list(user)] == ["Laptop", "Ponsel"]

    handle, options = services.factors.passkeys.authentication_options(user)
    assert len(options["allowCredentials"]) == 2
    login = services.factors.passkeys.authenticate(handle, auth.get(options), user)
    assert login.user_id == user and login.amr == "hwk"

    handle, options = services.factors.passkeys.authentication_options(None)
    assert options["userVerification"] == "required" and not options.get("allowCredentials")
    login = services.factors.passkeys.authenticate(handle, auth.get(options), None)
    assert login.user_id == user and login.user_verified

    services.factors.passkeys.rename(user, first.id, "Laptop kantor")
    services.factors.passkeys.remove(user, first.id, actor=user)
    assert [k.name for k in services.factors.passkeys.list(user)] == ["Ponsel"]


def test_passwordless_needs_user_verification(services, user):
    auth = SoftAuthenticator("http://localhost:8000")
    _register(services, user, auth)
    auth.user_verified = False
    handle, options = services.factors.passkeys.authentication_options(None)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, auth.get(options), None)


def test_challenge_is_single_use_and_expires(services, user, clock):
    auth = SoftAuthenticator("http://localhost:8000")
    _register(services, user, auth)
    handle, options = services.factors.passkeys.authentication_options(user)
    assertion = auth.get(options)
    services.factors.passkeys.authenticate(handle, assertion, user)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, assertion, user)
    handle, options = services.factors.passkeys.authentication_options(user)
    clock.advance(301)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, auth.get(options), user)


def test_wrong_origin_and_cloned_counter_are_rejected(services, user):
    auth = SoftAuthenticator("http://localhost:8000")
    _register(services, user, auth)
    evil = SoftAuthenticator("http://evil.example", credentials=auth.credentials)
    handle, options = services.factors.passkeys.authentication_options(user)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, evil.get(options), user)
    handle, options = services.factors.passkeys.authentication_options(user)
    services.factors.passkeys.authenticate(handle, auth.get(options), user)  # counter -> 2
    auth.credentials[0].sign_count = 0  # a clone replaying an older counter
    handle, options = services.factors.passkeys.authentication_options(user)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, auth.get(options), user)


def test_another_users_passkey_is_not_a_second_factor(services, user):
    other = services.users.create(username="ketut", password="kata-sandi-rahasia").sub
    auth = SoftAuthenticator("http://localhost:8000")
    _register(services, other, auth)
    handle, options = services.factors.passkeys.authentication_options(user)
    with pytest.raises(PasskeyRejected):
        services.factors.passkeys.authenticate(handle, auth.get(options), user)
