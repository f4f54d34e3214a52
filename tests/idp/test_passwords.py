"""argon2id hashing: verification, equal work for unknown users, bounded concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from idp.passwords import Argon2Params, PasswordHasher

FAST = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1)


def test_verify_accepts_the_password_and_rejects_others() -> None:
    hasher = PasswordHasher(FAST)
    stored = hasher.hash("kata-sandi-rahasia")
    assert hasher.verify(stored, "kata-sandi-rahasia")
    assert not hasher.verify(stored, "kata-sandi-salah")
    assert not hasher.verify(None, "kata-sandi-rahasia")  # unknown user: dummy hash, False
    assert not hasher.verify("not-a-hash", "x")


def test_no_more_hashes_at_once_than_allowed() -> None:
    """A burst of logins queues for the hashing slots instead of piling 19 MiB each on a core."""
    hasher = PasswordHasher(FAST, concurrency=2)
    stored = hasher.hash("kata-sandi-rahasia")
    running, peak, lock = 0, 0, threading.Lock()
    real_verify = hasher._ph.verify

    def observed(hash_: str, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.01)  # hold the slot long enough for the others to pile up
            return real_verify(hash_, password)
        finally:
            with lock:
                running -= 1

    class Observed:  # argon2's hasher has __slots__: wrap it instead of patching it
        verify = staticmethod(observed)

    hasher._ph = Observed()  # type: ignore[assignment]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: hasher.verify(stored, "kata-sandi-rahasia"), range(16)))
    assert all(results)
    assert peak == 2


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
