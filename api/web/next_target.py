"""Where a page sends the browser next: local paths only, never an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target or len(target) > 512:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def after_login(interaction: str | None, next_path: str | None) -> str:
    if interaction:
        return f"/authorize/resume?interaction={interaction}"
    return local_path(next_path)
