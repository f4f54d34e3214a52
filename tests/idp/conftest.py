"""Fixtures of the idp tests that build more than one set of services."""

from __future__ import annotations

import uuid

import pytest

from api.services import build_services

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def workers(settings, clock, request):
    """Build more Services (workers) on the same database; `redis=True` shares Redis too."""
    built = []

    def make(redis: str | None = None, **overrides):
        if redis:
            overrides.update(redis_url=REDIS_URL, redis_prefix=redis)
        svc = build_services(settings.model_copy(update=overrides), clock=clock)
        svc.keys.ensure()
        built.append(svc)
        return svc

    yield make
    for svc in built:
        svc.close()


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"satupintu-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
