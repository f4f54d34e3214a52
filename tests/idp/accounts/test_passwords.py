"""argon2id hashing: verification, equal work for unknown users, bounded concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argon2.low_level import ffi

from idp.accounts.argon2_memory import HashMemory
from idp.accounts.passwords import Argon2Params, PasswordHasher

FAST = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1)


def test_verify_accepts_the_password_and_rejects_others() -> None:
    hasher = PasswordHasher(FAST)
    stored = hasher.hash("kata-sandi-rahasia")
    assert hasher.verify(stored, "kata-sandi-rahasia")
    assert not hasher.verify(stored, "kata-sandi-salah")
    assert not hasher.verify(None, "kata-sandi-rahasia")  # unknown user: dummy hash, False
    assert not hasher.verify("not-a-hash", "x")


def test_no_more_hashes_at_once_than_allowed(monkeypatch) -> None:
    """A burst of logins queues for the hashing slots instead of piling 19 MiB each on a core."""
    hasher = PasswordHasher(FAST, concurrency=2)
    stored = hasher.hash("kata-sandi-rahasia")
    running, peak, lock = 0, 0, threading.Lock()
    real_verify = HashMemory.verify

    def observed(self: HashMemory, *args: Any, **kwargs: Any) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.01)  # hold the slot long enough for the others to pile up
            return real_verify(self, *args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(HashMemory, "verify", observed)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: hasher.verify(stored, "kata-sandi-rahasia"), range(16)))
    assert all(results)
    assert peak == 2


def test_the_huge_page_path_agrees_with_argon2_cffi() -> None:
    """A hash of the current parameters is verified in the slot's buffer: the same answers as
    argon2-cffi gives, for hashes argon2-cffi made, and for a mangled one no exception."""
    from argon2 import PasswordHasher as Argon2

    hasher = PasswordHasher(FAST)
    reference = Argon2(time_cost=1, memory_cost=1024, parallelism=1)
    for password in ("kata-sandi-rahasia", "", "sandi dengan spasi ✓ ünïcödé"):
        stored = reference.hash(password)
        assert hasher._is_current(stored)
        assert hasher.verify(stored, password)
        assert not hasher.verify(stored, password + "x")
    stored = reference.hash("kata-sandi-rahasia")
    salt = stored.split("$")[4]
    mangled = stored.replace(salt, "!" + salt[1:])
    assert hasher._is_current(mangled) and not hasher.verify(mangled, "kata-sandi-rahasia")
    # Older parameters go to argon2-cffi and still verify.
    older = Argon2(time_cost=1, memory_cost=2048, parallelism=1).hash("kata-sandi-rahasia")
    assert not hasher._is_current(older) and hasher.verify(older, "kata-sandi-rahasia")


def test_the_working_memory_is_wiped_after_a_verify() -> None:
    """libargon2 clears its memory before giving it back, also to our allocator: a buffer filled
    with a pattern beforehand holds only zeros afterwards (so argon2id ran in it, and wiped it)."""
    memory = HashMemory(FAST.time_cost, FAST.memory_cost, FAST.parallelism)
    stored = PasswordHasher(FAST).hash("kata-sandi-rahasia")
    ffi.memmove(memory._pointer, b"\xaa" * memory.size, memory.size)
    assert memory.verify(stored, b"kata-sandi-rahasia")
    assert memory.contents() == bytes(memory.size)


def test_a_buffer_too_small_refuses_rather_than_overruns() -> None:
    # libargon2 asks for what the parameters need; were it ever more than the buffer holds,
    # the allocator refuses and the check fails closed instead of writing past the mapping.
    memory = HashMemory(FAST.time_cost, FAST.memory_cost, FAST.parallelism)
    memory.size //= 2
    stored = PasswordHasher(FAST).hash("kata-sandi-rahasia")
    assert not memory.verify(stored, b"kata-sandi-rahasia")


def test_a_hash_of_other_parameters_or_shape_needs_rehash() -> None:
    """Only a hash made with the current parameters, salt and hash lengths is kept as it is."""
    from argon2 import PasswordHasher as Argon2

    hasher = PasswordHasher(FAST)
    assert not hasher.needs_rehash(hasher.hash("kata-sandi-rahasia"))
    older = Argon2(time_cost=1, memory_cost=2048, parallelism=1).hash("kata-sandi-rahasia")
    assert hasher.needs_rehash(older)
    # The same parameters with a longer salt and a shorter hash: the string is as long as a
    # current one, but its shape differs, so it is upgraded too.
    odd = Argon2(time_cost=1, memory_cost=1024, parallelism=1, salt_len=19, hash_len=29)
    odd_hash = odd.hash("kata-sandi-rahasia")
    assert len(odd_hash) == len(hasher.hash("x"))
    assert hasher.needs_rehash(odd_hash)
