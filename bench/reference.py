"""Reference rates measured in a process of their own, pinned to the server's core:
raw RS256 signing and verification of an RFC 9068 access token with joserfc, raw argon2id
verification with argon2-cffi at the server's parameters, and the server's own argon2id hasher
alone (`argon2-slot`).

    python -m bench.reference KIND SECONDS [TIME_COST MEMORY_COST PARALLELISM]

with KIND one of sign, verify, argon2, argon2-slot;
it prints {"kind", "ops", "seconds", "rate" (per wall second), "per_core" (per CPU second)} as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.pinning import SERVER_CORE, pinned


def access_claims(
    issuer: str = "http://127.0.0.1:8000", client_id: str = "x" * 22
) -> dict[str, Any]:
    """The same kind of payload the token endpoint signs for client_credentials."""
    now = int(time.time())
    return {
        "iss": issuer,
        "exp": now + 600,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "client_id": client_id,
        "aud": client_id,
        "scope": "",
        "sub": client_id,
    }


def _loop(op: Callable[[], object], seconds: float) -> tuple[int, float, float]:
    """Operations done in `seconds` of wall time, the wall time and the CPU time they took."""
    op()  # warm-up
    n, start, cpu_start = 0, time.perf_counter(), time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(5):
            op()
        n += 5
        now = time.perf_counter()
        if now >= deadline:
            return n, now - start, time.process_time() - cpu_start


def measure(
    kind: str, seconds: float, argon2_params: tuple[int, int, int] = (2, 19456, 1)
) -> dict[str, Any]:
    if kind in ("sign", "verify"):
        from joserfc import jwt
        from joserfc.jwk import KeySet, RSAKey

        key = RSAKey.generate_key(2048)
        kid = key.thumbprint()
        header = {"alg": "RS256", "kid": kid, "typ": "at+jwt"}
        claims = access_claims()
        token = jwt.encode(header, claims, key, algorithms=["RS256"])
        keyset = KeySet([key])

        def sign() -> object:
            return jwt.encode(header, access_claims(), key, algorithms=["RS256"])

        def verify() -> object:
            return jwt.decode(token, keyset, algorithms=["RS256"])

        n, took, cpu = _loop(sign if kind == "sign" else verify, seconds)
    elif kind == "argon2":
        from argon2 import PasswordHasher, Type

        t, m, p = argon2_params
        ph = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=Type.ID)
        stored = ph.hash("correct horse battery staple")
        n, took, cpu = _loop(lambda: ph.verify(stored, "correct horse battery staple"), seconds)
    elif kind == "argon2-slot":
        # The server's own hasher alone (its huge-page slot, idp.accounts.argon2_memory):
        # beside it, the login row shows what the rest of a sign-in costs, apart from how fast
        # argon2id runs.
        from idp.accounts.passwords import Argon2Params
        from idp.accounts.passwords import PasswordHasher as OwnHasher

        t, m, p = argon2_params
        own = OwnHasher(Argon2Params(time_cost=t, memory_cost=m, parallelism=p), concurrency=1)
        mine = own.hash("correct horse battery staple")
        n, took, cpu = _loop(lambda: own.verify(mine, "correct horse battery staple"), seconds)
    else:
        raise ValueError(f"unknown reference {kind!r}")
    return {"kind": kind, "ops": n, "seconds": took, "rate": n / took, "per_core": n / cpu}


def measure_pinned(kind: str, seconds: float, *args: int) -> float:
    """Operations per CPU-second of `kind` in a fresh interpreter pinned to the server's core."""
    cmd = [sys.executable, "-m", "bench.reference", kind, str(seconds), *map(str, args)]
    out = subprocess.run(pinned(cmd, SERVER_CORE), capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout)["per_core"])


if __name__ == "__main__":
    kind, secs, *params = sys.argv[1:]
    argon = tuple(int(x) for x in params) if params else (2, 19456, 1)
    print(json.dumps(measure(kind, float(secs), argon)))  # type: ignore[arg-type]
