"""Re-wrapping every stored data key: after a KEK rotation, and when moving to Transit.

Both walks go through `vault_subject_keys` in subject order, one batch per transaction, and
skip rows that are already where they should be, so an interrupted run resumes by running
again. Each row is replaced compare-and-set, so a concurrent shred is never undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from vault.errors import IntegrityFailure
from vault.keystore import SubjectKey, SubjectKeyStore
from vault.provider import KeyProvider, wrap_prefix, wrapped_version

Progress = Callable[[int], None]  # called with the number of rows just handled


@dataclass
class RewrapReport:
    target_version: int = 0
    rewrapped: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # subjects whose DEK did not authenticate
    batches: int = 0
    complete: bool = False


Change = tuple[str, bytes, bytes]  # (subject, old wrapped DEK, new wrapped DEK)


def _walk(
    store: SubjectKeyStore,
    report: RewrapReport,
    changes_for: Callable[[list[SubjectKey]], list[Change]],
    batch_size: int,
    max_batches: int | None,
    progress: Progress | None,
) -> RewrapReport:
    """Page through every subject key; each page's changes are stored compare-and-set."""
    after = ""
    while max_batches is None or report.batches < max_batches:
        rows = store.subjects_page(after, batch_size)
        if not rows:
            report.complete = True
            break
        after = rows[-1].subject
        report.rewrapped += store.replace_many(changes_for(rows))
        report.batches += 1
        if progress is not None:
            progress(len(rows))
    return report


def rewrap_all(
    store: SubjectKeyStore,
    provider: KeyProvider,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> RewrapReport:
    """Bring every wrapped DEK to the newest KEK version; the DEKs never leave the provider."""
    latest = provider.status().latest_version or 0
    report = RewrapReport(target_version=latest)
    prefix = wrap_prefix(provider)

    def changes_for(rows: list[SubjectKey]) -> list[Change]:
        todo = []
        for row in rows:
            assert row.wrapped_dek is not None
            if wrapped_version(row.wrapped_dek) == (prefix, latest):
                report.skipped += 1
            else:
                todo.append(row)
        results = provider.rewrap_many([r.wrapped_dek for r in todo if r.wrapped_dek])
        changes: list[Change] = []
        for row, result in zip(todo, results, strict=True):
            if isinstance(result, Exception):
                report.failed.append(row.subject)
            else:
                assert row.wrapped_dek is not None
                changes.append((row.subject, row.wrapped_dek, result))
        return changes

    return _walk(store, report, changes_for, batch_size, max_batches, progress)


class Wrapper(KeyProvider, Protocol):
    """A provider that can also wrap a DEK it did not generate (Transit `encrypt`)."""

    def wrap_many(self, plaintexts: list[bytes]) -> list[bytes]: ...


def move_keys(
    store: SubjectKeyStore,
    source: KeyProvider,
    target: Wrapper,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> RewrapReport:
    """Re-wrap every DEK held by `source` (local keyring) under `target` (Transit).

    The DEK is in our memory for a moment here, unavoidably: the local keyring is ours.
    Rows already wrapped by the target are skipped, so the walk is resumable.
    """
    report = RewrapReport(target_version=target.status().latest_version or 0)
    source_prefix = wrap_prefix(source)

    def changes_for(rows: list[SubjectKey]) -> list[Change]:
        todo: list[Change] = []
        for row in rows:
            assert row.wrapped_dek is not None
            if wrapped_version(row.wrapped_dek)[0] != source_prefix:
                report.skipped += 1
                continue
            try:
                todo.append((row.subject, row.wrapped_dek, source.unwrap(row.wrapped_dek)))
            except IntegrityFailure:
                report.failed.append(row.subject)
        wrapped = target.wrap_many([dek for _, _, dek in todo])
        return [(s, old, new) for (s, old, _), new in zip(todo, wrapped, strict=True)]

    return _walk(store, report, changes_for, batch_size, max_batches, progress)


def move_one(store: SubjectKeyStore, subject: str, source: KeyProvider, target: Wrapper) -> bool:
    """`move_keys` for one subject (the server secret, moved before anything needs it)."""
    row = store.get(subject)
    if row is None or row.wrapped_dek is None:
        return False
    if wrapped_version(row.wrapped_dek)[0] != wrap_prefix(source):
        return False
    new = target.wrap_many([source.unwrap(row.wrapped_dek)])[0]
    return store.replace_wrapped(subject, row.wrapped_dek, new)
