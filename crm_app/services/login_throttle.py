"""Failed-login throttling per account and per client address.

Every check of a password counts here under the account's email: a wrong
password at log-in and a wrong current password at password change add to
the same count, under the same limits and window, and either success clears it.

Counts live in Redis when REDIS_URL is set, so every worker sees the same
numbers; otherwise in this process (one worker, as `make run` starts).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass, field

from crm_app.core.config import get_settings


def _key(kind: str, value: str) -> str:
    # Hashed: the Redis keyspace should not be a list of emails and addresses.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"crm_app:login-failures:{kind}:{digest}"


@dataclass
class MemoryCounter:
    """Fixed-window counters in this process."""

    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str, window: int) -> tuple[int, int]:
        with self._lock:
            started, count = self._windows.get(key, (0.0, 0))
            remaining = started + window - time.monotonic()
            return (count, math.ceil(remaining)) if remaining > 0 else (0, 0)

    def add(self, key: str, window: int) -> None:
        with self._lock:
            now = time.monotonic()
            started, count = self._windows.get(key, (now, 0))
            if now - started >= window:
                started, count = now, 0
            self._windows[key] = (started, count + 1)

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RedisCounter:
    """Fixed-window counters shared by every worker."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def count(self, key: str, window: int) -> tuple[int, int]:
        count, ttl = self._redis.pipeline().get(key).ttl(key).execute()
        return (int(count or 0), max(int(ttl), 0) if count else 0)

    def add(self, key: str, window: int) -> None:
        # NX: the window starts at the first failure and is not extended by later ones.
        self._redis.pipeline().incr(key).expire(key, window, nx=True).execute()

    def clear(self, key: str) -> None:
        self._redis.delete(key)


class LoginThrottle:
    """Refuses further attempts after too many failures in a window."""

    def __init__(
        self,
        counter: MemoryCounter | RedisCounter,
        max_failures: int,
        window: int,
        max_failures_per_address: int | None = None,
    ) -> None:
        self.counter, self.max_failures, self.window = counter, max_failures, window
        self.max_failures_per_address = max_failures_per_address or max_failures

    def retry_after(self, *, email: str, address: str) -> int | None:
        """Seconds to wait when this account or address is throttled; None when free."""
        waits = [
            wait
            for (count, wait), limit in (
                (self.counter.count(_key("account", email), self.window), self.max_failures),
                (
                    self.counter.count(_key("address", address), self.window),
                    self.max_failures_per_address,
                ),
            )
            if count >= limit
        ]
        return max(max(waits), 1) if waits else None

    def record_failure(self, *, email: str, address: str) -> None:
        """Count one failed attempt against the account and the address."""
        self.counter.add(_key("account", email), self.window)
        self.counter.add(_key("address", address), self.window)

    def record_success(self, *, email: str) -> None:
        """A correct password clears the account's count (not the address's)."""
        self.counter.clear(_key("account", email))


_throttle: LoginThrottle | None = None


def get_login_throttle() -> LoginThrottle:
    """The process-wide throttle, on Redis when REDIS_URL is set."""
    global _throttle
    if _throttle is None:
        settings = get_settings()
        counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
        _throttle = LoginThrottle(
            counter,
            settings.login_max_failures,
            settings.login_failure_window_seconds,
            settings.login_max_failures_per_address,
        )
    return _throttle
