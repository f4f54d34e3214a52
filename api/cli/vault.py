"""`satupintu vault ...`: key status, KEK rotation, rewrap, min version, migration, shredding,
every change audited (no personal data in the events)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, cast

import typer

from api.cli.common import JsonOpt, emit, erase_user, fail, guard, load_settings, services
from api.settings import Settings

vault_app = typer.Typer(no_args_is_help=True, help="Field encryption keys (Vault/OpenBao).")
BatchOpt = Annotated[int, typer.Option(min=1, max=500, help="Data keys per transaction")]
MaxBatchOpt = Annotated[
    int | None, typer.Option(min=1, help="Stop after this many batches (resume by re-running)")
]


def _audit(svc: Any, type_: str, **detail: Any) -> None:
    from audit import AuditEvent

    svc.audit.record(AuditEvent(type_, actor="operator", detail=detail))


@contextmanager
def _progress(total: int, label: str, as_json: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on an interactive terminal; silent otherwise."""
    if as_json or not sys.stderr.isatty():
        yield lambda _n: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _versions(svc: Any) -> dict[str, int]:
    from vault.provider import wrapped_version

    counts: Counter[str] = Counter()
    after = ""
    while rows := svc.cipher.store.subjects_page(after, 1000):
        after = rows[-1].subject
        for row in rows:
            prefix, version = wrapped_version(row.wrapped_dek)
            counts[f"{prefix}:v{version}"] += 1
    return dict(sorted(counts.items()))


@vault_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Provider, reachability, key name and versions, stored DEKs per KEK version, DEK cache."""
    svc = services(keys=False)
    st = svc.provider.status()
    cache = svc.cipher.cache
    data = {
        "provider": st.provider,
        "reachable": st.reachable,
        "key": st.detail.get("key", "local-keyring"),
        "latest_version": st.latest_version,
        "min_decryption_version": st.min_decryption_version,
        "detail": st.detail,
        "data_keys_by_version": _versions(svc),
        "dek_cache": {
            "size": len(cache),
            "max_size": svc.settings.dek_cache_size,
            "ttl_seconds": svc.settings.dek_cache_ttl,
            "hits": cache.stats.hits,
            "misses": cache.stats.misses,
            "evictions": cache.stats.evictions,
        },
    }
    emit(
        as_json,
        data,
        lambda d: (
            f"{d['provider']} ({'reachable' if d['reachable'] else 'UNREACHABLE'}) key {d['key']}"
            f" latest v{d['latest_version']} min v{d['min_decryption_version']}"
            f"\ndata keys: {d['data_keys_by_version']}"
        ),
    )
    if not st.reachable:
        raise typer.Exit(3)


@vault_app.command("rotate")
def rotate(
    min_decryption_version: Annotated[
        int | None, typer.Option(help="Also raise min_decryption_version to this")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a new KEK version. New data keys use it; run `vault rewrap` to move old ones."""
    svc = services(keys=False)

    def run() -> dict[str, Any]:
        version = svc.provider.rotate()
        _audit(svc, "vault.rotate", version=version)
        if min_decryption_version is not None:
            svc.provider.set_min_decryption_version(min_decryption_version)
            _audit(svc, "vault.min_version", version=min_decryption_version)
        return {"latest_version": version, "min_decryption_version": min_decryption_version}

    data = guard(as_json, run)
    emit(as_json, data, lambda d: f"KEK rotated to v{d['latest_version']}")


@vault_app.command("rewrap")
def rewrap(
    batch_size: BatchOpt = 500, max_batches: MaxBatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Re-wrap every stored data key under the newest KEK version (resumable)."""
    from vault.rewrap import rewrap_all

    svc = services(keys=False)

    def run() -> dict[str, Any]:
        with _progress(svc.cipher.store.count(), "rewrap", as_json) as tick:
            report = rewrap_all(
                svc.cipher.store,
                svc.provider,
                batch_size=batch_size,
                max_batches=max_batches,
                progress=tick,
            )
        _audit(svc, "vault.rewrap", **_report(report))
        return _report(report)

    data = guard(as_json, run)
    emit(as_json, data, _human_report)
    if data["failed"]:
        raise typer.Exit(4)


@vault_app.command("set-min-version")
def set_min_version(
    version: Annotated[int, typer.Argument(help="The oldest KEK version still accepted")],
    trim: Annotated[
        bool, typer.Option(help="Also destroy KEK versions below it (irreversible)")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Refuse data keys wrapped under older KEK versions (makes old backups unreadable)."""
    svc = services(keys=False)

    def run() -> dict[str, Any]:
        stale = {k: n for k, n in _versions(svc).items() if int(k.split(":v")[1]) < version}
        if stale:
            raise _Refused(f"data keys still wrapped under older versions: {stale}; rewrap first")
        svc.provider.set_min_decryption_version(version)
        _audit(svc, "vault.min_version", version=version)
        trimmed = svc.provider.trim() if trim else 0
        if trim:
            _audit(svc, "vault.trim", below=version, destroyed=trimmed)
        return {"min_decryption_version": version, "trimmed_versions": trimmed}

    try:
        data = guard(as_json, run)
    except (_Refused, ValueError) as exc:
        fail(as_json, str(exc))
    emit(as_json, data, lambda d: f"min_decryption_version is v{d['min_decryption_version']}")


class _Refused(Exception):
    pass


@vault_app.command("migrate-to-transit")
def migrate_to_transit(
    batch_size: BatchOpt = 500, max_batches: MaxBatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Move a local-keyring deployment to Transit (set SATUPINTU_VAULT_ADDR and credentials).

    1. the server secret (pairwise `sub`s, recovery codes, CSRF key) is re-wrapped first, so
       the services can start on Transit with the same secret;
    2. every data key is unwrapped by the local keyring and wrapped by Transit;
    3. every blind index is recomputed with the Transit hmac key.
    Resumable: rows already on Transit are skipped, indexes are recomputed idempotently.
    """
    from vault import BlindIndex
    from vault.providers.local import LocalKeyring
    from vault.rewrap import Wrapper, move_keys

    settings = load_settings()
    if not settings.vault_addr:
        fail(as_json, "set SATUPINTU_VAULT_ADDR (and a token or AppRole) first")
    keyring = settings.var_dir / "keyring.json"
    if not keyring.exists():
        fail(as_json, f"no local keyring at {keyring}")
    guard(as_json, lambda: _move_server_secret(settings, LocalKeyring(keyring)))
    svc = services(keys=False)

    def run() -> dict[str, Any]:
        total = svc.cipher.store.count()
        with _progress(total, "data keys", as_json) as tick:
            keys = move_keys(
                svc.cipher.store,
                LocalKeyring(keyring),
                cast(Wrapper, svc.provider),  # a TransitKeyProvider (vault_addr is set)
                batch_size=batch_size,
                max_batches=max_batches,
                progress=tick,
            )
        out: dict[str, Any] = {"data_keys": _report(keys), "users_reindexed": 0, "complete": False}
        if keys.complete and not keys.failed:
            index, after, done = BlindIndex(svc.provider), "", 0
            while ids := svc.users.reindex(index, after=after, limit=batch_size):
                after, done = ids[-1], done + len(ids)
            out["users_reindexed"], out["complete"] = done, True
        _audit(svc, "vault.migrate_to_transit", **{**_report(keys), "complete": out["complete"]})
        return out

    data = guard(as_json, run)
    emit(
        as_json,
        data,
        lambda d: (
            f"data keys moved: {d['data_keys']['rewrapped']}, users reindexed: "
            f"{d['users_reindexed']}, {'complete' if d['complete'] else 'INCOMPLETE: run again'}"
        ),
    )


def _move_server_secret(settings: Settings, local: Any) -> None:
    from api.db import make_engine
    from api.services import make_provider
    from vault.keystore import SubjectKeyStore
    from vault.rewrap import move_one
    from vault.server_secret import SUBJECT, ServerSecret

    engine = make_engine(settings.db_url)
    try:
        store = SubjectKeyStore(engine)
        if store.get(SUBJECT) is None:  # a deployment that never ran with a server secret
            ServerSecret(store, local, seed=local.mac_seed).root()
        target: Any = make_provider(settings)  # a TransitKeyProvider: it can wrap_many
        move_one(store, SUBJECT, local, target)
    finally:
        engine.dispose()


@vault_app.command("shred")
def shred(
    sub: Annotated[str, typer.Argument(help="The user's sub")], as_json: JsonOpt = False
) -> None:
    """Crypto-shred a user by `sub` (same as `users erase`)."""
    erase_user(sub, as_json)


def _report(report: Any) -> dict[str, Any]:
    return {
        "target_version": report.target_version,
        "rewrapped": report.rewrapped,
        "skipped": report.skipped,
        "failed": len(report.failed),
        "batches": report.batches,
        "complete": report.complete,
    }


def _human_report(d: dict[str, Any]) -> str:
    state = "complete" if d["complete"] else "INCOMPLETE: run again to resume"
    return (
        f"rewrapped {d['rewrapped']}, already at v{d['target_version']} {d['skipped']}, "
        f"failed {d['failed']} ({state})"
    )
