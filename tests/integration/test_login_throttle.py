"""Failed-login throttling: per account and per address, shared across workers through Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from crm_app.services.login_throttle import LoginThrottle, MemoryCounter, RedisCounter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CRM_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}", pytrace=False)
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def _email() -> str:
    return f"throttle-{uuid.uuid4().hex[:10]}@example.com"


def test_failures_under_the_limit_do_not_throttle():
    throttle = LoginThrottle(MemoryCounter(), max_failures=3, window=60)
    email = _email()
    for _ in range(2):
        throttle.record_failure(email=email, address="10.0.0.1")
    assert throttle.retry_after(email=email, address="10.0.0.1") is None


def test_the_limit_throttles_the_account_from_any_address():
    throttle = LoginThrottle(MemoryCounter(), max_failures=3, window=60)
    email = _email()
    for n in range(3):
        throttle.record_failure(email=email, address=f"10.0.0.{n}")
    wait = throttle.retry_after(email=email, address="192.0.2.7")
    assert wait is not None and 1 <= wait <= 60


def test_a_success_clears_the_account_but_not_the_address():
    throttle = LoginThrottle(MemoryCounter(), max_failures=3, window=60)
    email = _email()
    for _ in range(3):
        throttle.record_failure(email=email, address="10.0.0.9")
    throttle.record_success(email=email)
    assert throttle.retry_after(email=email, address="10.0.0.10") is None
    assert throttle.retry_after(email=_email(), address="10.0.0.9") is not None


def test_the_window_expires(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("crm_app.services.login_throttle.time.monotonic", lambda: clock[0])
    throttle = LoginThrottle(MemoryCounter(), max_failures=2, window=60)
    email = _email()
    for _ in range(2):
        throttle.record_failure(email=email, address="10.0.0.1")
    assert throttle.retry_after(email=email, address="10.0.0.1") is not None
    clock[0] += 61
    assert throttle.retry_after(email=email, address="10.0.0.1") is None


def test_counts_in_redis_hold_across_workers(redis_url):
    # Two throttles with their own connections: two workers of one deployment.
    first = LoginThrottle(RedisCounter(redis_url), max_failures=4, window=30)
    second = LoginThrottle(RedisCounter(redis_url), max_failures=4, window=30)
    email, address = _email(), f"198.51.100.{uuid.uuid4().int % 250}"
    first.record_failure(email=email, address=address)
    second.record_failure(email=email, address=address)
    first.record_failure(email=email, address=address)
    assert second.retry_after(email=email, address=address) is None
    second.record_failure(email=email, address=address)
    wait = first.retry_after(email=email, address=address)
    assert wait is not None and 1 <= wait <= 30


def test_redis_keys_do_not_contain_the_email(redis_url):
    import redis

    counter = RedisCounter(redis_url)
    throttle = LoginThrottle(counter, max_failures=4, window=30)
    email = _email()
    throttle.record_failure(email=email, address="203.0.113.5")
    keys = [
        key.decode() for key in redis.Redis.from_url(redis_url).keys("crm_app:login-failures:*")
    ]
    assert keys and not [key for key in keys if email in key or "203.0.113.5" in key]
