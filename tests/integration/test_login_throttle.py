"""Failed-login throttling: per account and per address, shared across workers through Redis.

An attempt is counted when it begins, before its password is checked, so that
attempts sent at once cannot all slip under the limit.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from crm_app.services.login_throttle import (
    SWEEP_SECONDS,
    LoginThrottle,
    MemoryCounter,
    RedisCounter,
    _key,
)
from tests.required import unavailable

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        unavailable(f"Redis is not reachable at {REDIS_URL}", required_by="CRM_REQUIRE_REDIS")
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def counter(request: pytest.FixtureRequest) -> MemoryCounter | RedisCounter:
    """Each counter the app may run on: this process's, or Redis shared by every worker."""
    if request.param == "memory":
        return MemoryCounter()
    return RedisCounter(request.getfixturevalue("redis_url"))


def _email() -> str:
    return f"throttle-{uuid.uuid4().hex[:10]}@example.com"


def _address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"


def _fail(throttle: LoginThrottle, email: str, address: str) -> int | None:
    """An attempt whose password was wrong: it stays counted."""
    return throttle.begin_attempt(email=email, address=address)


def test_failures_under_the_limit_do_not_throttle(counter):
    throttle = LoginThrottle(counter, max_failures=3, window=60)
    email, address = _email(), _address()
    assert [_fail(throttle, email, address) for _ in range(3)] == [None, None, None]


def test_the_limit_throttles_the_account_from_any_address(counter):
    throttle = LoginThrottle(counter, max_failures=3, window=60)
    email = _email()
    for _ in range(3):
        assert _fail(throttle, email, _address()) is None
    wait = throttle.begin_attempt(email=email, address=_address())
    assert wait is not None and 1 <= wait <= 60


def test_the_limit_throttles_the_address_across_accounts(counter):
    throttle = LoginThrottle(counter, max_failures=3, window=60, max_failures_per_address=4)
    address = _address()
    for _ in range(4):
        assert _fail(throttle, _email(), address) is None
    assert throttle.begin_attempt(email=_email(), address=address) is not None


def test_a_trusted_browser_is_not_shut_out_by_failures_of_others_at_its_address(counter):
    # Behind an office NAT or a reverse proxy everyone shares an address: a probe's 19
    # failures for made-up emails then refused another user's right password.
    throttle = LoginThrottle(counter, max_failures=3, window=60, max_failures_per_address=4)
    address = _address()
    for _ in range(4):
        assert _fail(throttle, _email(), address) is None
    # Unique: Redis keeps a count for its window, past this run of the test.
    owner, device = _email(), f"owners-browser-{uuid.uuid4().hex[:8]}"
    assert throttle.begin_attempt(email=owner, address=address) is not None
    assert throttle.begin_attempt(email=owner, address=address, device=device) is None
    # Its own count, per account, still limits guesses from that browser.
    for _ in range(2):
        assert throttle.begin_attempt(email=owner, address=address, device=device) is None
    assert throttle.begin_attempt(email=owner, address=address, device=device) is not None


def test_answers_saying_an_email_is_taken_cost_the_address_even_from_a_trusted_browser(counter):
    # Moving one's own account to an email that has one says so: its right password must
    # not make that free, with a device token or without.
    throttle = LoginThrottle(counter, max_failures=3, window=60, max_failures_per_address=4)
    address = _address()
    owner, device = _email(), f"askers-browser-{uuid.uuid4().hex[:8]}"
    asking = {"email": owner, "address": address, "device": device, "address_always": True}
    for _ in range(10):  # moved to free addresses: nothing is kept
        assert throttle.begin_attempt(**asking) is None
        throttle.attempt_succeeded(**asking)
    for _ in range(4):  # told "taken": the account's count clears, the address keeps each
        assert throttle.begin_attempt(**asking) is None
        throttle.attempt_told_taken(**asking)
    assert throttle.begin_attempt(**asking) is not None
    # The same count as sign-ups meeting an account and others' failures at that address.
    assert throttle.begin_signup(address=address) is not None
    assert throttle.begin_attempt(email=owner, address=address, device=device) is None


def test_accounts_made_count_against_the_address_for_an_hour_and_refused_input_does_not(counter):
    # Each sign-up costs an argon2id hash: unlimited, one address kept both cores busy.
    limits = {"max_failures_per_address": 50, "signups_per_address_per_hour": 2}
    throttle = LoginThrottle(counter, max_failures=3, window=60, **limits)
    address = _address()
    for _ in range(5):  # refused before any hashing (a short password): nothing kept
        assert throttle.begin_signup(address=address) is None
        throttle.signup_told_nothing(address=address)
    for _ in range(2):
        assert throttle.begin_signup(address=address) is None
        throttle.signup_succeeded(address=address)
    wait = throttle.begin_signup(address=address)
    assert wait is not None and wait > 60  # the hour's, not the failures' window
    # Made accounts are not failures: log-ins from that address go on.
    assert throttle.begin_attempt(email=_email(), address=address) is None
    assert throttle.begin_signup(address=_address()) is None


def test_attempts_sent_at_once_check_no_more_passwords_than_the_limit(counter):
    throttle = LoginThrottle(counter, max_failures=5, window=60)
    email, address = _email(), _address()
    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda _: _fail(throttle, email, address), range(64)))
    # At most the limit; fewer when attempts interleave on the two counts (each
    # counts on both, and one over either limit is refused and taken back).
    assert 1 <= waits.count(None) <= 5


def test_a_refused_attempt_is_not_counted(counter):
    # Throttled by its account, it must not use up the address's allowance meanwhile.
    throttle = LoginThrottle(counter, max_failures=1, window=60, max_failures_per_address=3)
    email, address = _email(), _address()
    assert _fail(throttle, email, address) is None
    for _ in range(5):
        assert throttle.begin_attempt(email=email, address=address) is not None
    assert _fail(throttle, _email(), address) is None
    assert _fail(throttle, _email(), address) is None
    assert throttle.begin_attempt(email=_email(), address=address) is not None


def test_a_success_clears_the_account_and_does_not_count_against_the_address(counter):
    throttle = LoginThrottle(counter, max_failures=3, window=60, max_failures_per_address=3)
    email, address = _email(), _address()
    for _ in range(2):
        assert _fail(throttle, email, address) is None
    assert throttle.begin_attempt(email=email, address=address) is None
    throttle.attempt_succeeded(email=email, address=address)
    # The account starts over; the address keeps only its two failures.
    for _ in range(3):
        assert throttle.begin_attempt(email=email, address=_address()) is None
    assert _fail(throttle, _email(), address) is None
    assert throttle.begin_attempt(email=_email(), address=address) is not None


def test_many_successes_from_one_address_never_throttle_it(counter):
    # An office behind one address, everyone logging in on Monday morning.
    throttle = LoginThrottle(counter, max_failures=3, window=60, max_failures_per_address=3)
    address = _address()
    for _ in range(10):
        email = _email()
        assert throttle.begin_attempt(email=email, address=address) is None
        throttle.attempt_succeeded(email=email, address=address)


def test_an_attempt_that_checked_no_password_is_taken_back(counter):
    throttle = LoginThrottle(counter, max_failures=2, window=60)
    email, address = _email(), _address()
    for _ in range(5):  # the database did not answer, each time
        assert throttle.begin_attempt(email=email, address=address) is None
        throttle.attempt_not_made(email=email, address=address)
    assert _fail(throttle, email, address) is None


def test_the_window_expires(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("crm_app.services.login_throttle.time.monotonic", lambda: clock[0])
    throttle = LoginThrottle(MemoryCounter(), max_failures=2, window=60)
    email, address = _email(), _address()
    for _ in range(2):
        assert _fail(throttle, email, address) is None
    assert throttle.begin_attempt(email=email, address=address) is not None
    clock[0] += 61
    assert throttle.begin_attempt(email=email, address=address) is None


def test_refused_attempts_for_made_up_emails_leave_nothing_behind_in_memory():
    # Refused at once, such attempts cost nothing to send: each used to leave a count
    # of 0 behind, for ever, in a worker without Redis.
    counter = MemoryCounter()
    throttle = LoginThrottle(counter, max_failures=5, window=60, max_failures_per_address=2)
    address = _address()
    for _ in range(2):
        assert _fail(throttle, _email(), address) is None
    for _ in range(1000):
        assert throttle.begin_attempt(email=_email(), address=address) is not None
    assert counter.held() == 3  # the two emails that failed, and the address


def test_counts_of_ended_windows_are_forgotten_in_memory(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("crm_app.services.login_throttle.time.monotonic", lambda: clock[0])
    counter = MemoryCounter()
    throttle = LoginThrottle(counter, max_failures=5, window=300, max_failures_per_address=500)
    for _ in range(200):
        assert _fail(throttle, _email(), _address()) is None
    assert counter.held() == 400
    clock[0] += 301 + SWEEP_SECONDS
    email, address = _email(), _address()
    assert _fail(throttle, email, address) is None
    assert counter.held() == 2
    # A count still in its window is kept through a sweep.
    clock[0] += SWEEP_SECONDS
    assert _fail(throttle, _email(), address) is None
    assert counter.held() == 3
    assert _fail(throttle, email, _address()) is None
    clock[0] += 1
    for _ in range(3):
        assert _fail(throttle, email, _address()) is None
    assert throttle.begin_attempt(email=email, address=_address()) is not None


def test_taking_back_after_the_window_ended_leaves_nothing_behind(redis_url):
    import redis

    throttle = LoginThrottle(RedisCounter(redis_url), max_failures=2, window=60)
    email, address = _email(), _address()
    keys = [_key("account", email), _key("address", address)]
    assert throttle.begin_attempt(email=email, address=address) is None
    redis.Redis.from_url(redis_url).delete(*keys)  # the window ran out meanwhile
    throttle.attempt_not_made(email=email, address=address)
    # No -1 without an expiry, which would give every later window an extra attempt.
    assert redis.Redis.from_url(redis_url).exists(*keys) == 0


def test_counts_in_redis_hold_across_workers(redis_url):
    # Two throttles with their own connections: two workers of one deployment.
    first = LoginThrottle(RedisCounter(redis_url), max_failures=4, window=30)
    second = LoginThrottle(RedisCounter(redis_url), max_failures=4, window=30)
    email, address = _email(), _address()
    for throttle in (first, second, first, second):
        assert _fail(throttle, email, address) is None
    wait = first.begin_attempt(email=email, address=address)
    assert wait is not None and 1 <= wait <= 30


def test_redis_keys_do_not_contain_the_email(redis_url):
    import redis

    throttle = LoginThrottle(RedisCounter(redis_url), max_failures=4, window=30)
    email = _email()
    throttle.begin_attempt(email=email, address="203.0.113.5")
    keys = [
        key.decode() for key in redis.Redis.from_url(redis_url).keys("crm_app:login-failures:*")
    ]
    assert keys and not [key for key in keys if email in key or "203.0.113.5" in key]


def test_a_new_password_starts_a_count_of_its_own(counter):
    # Failures against the old password (a guesser's, or the owner's who forgot it) do not
    # keep the owner out once the password is reset; the new one has the full allowance.
    throttle = LoginThrottle(counter, max_failures=2, window=60)
    email = _email()
    for _ in range(2):
        assert throttle.begin_attempt(email=email, address=_address(), password_hash="old") is None
    assert throttle.begin_attempt(email=email, address=_address(), password_hash="old") is not None
    for _ in range(2):
        assert throttle.begin_attempt(email=email, address=_address(), password_hash="new") is None
    assert throttle.begin_attempt(email=email, address=_address(), password_hash="new") is not None
