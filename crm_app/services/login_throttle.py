"""Failed-login throttling per account and per client address.

Sign-ups and email changes that meet an existing account count against the
address too, from a trusted browser as well: the answer says the account
exists, which a failed log-in never tells.

Every check of a password counts here under the account's email: a wrong
password at log-in and a wrong current password at password change add to
the same count, under the same limits and window, and either success clears it.

An attempt is counted before its password is checked, and taken back if it
turns out right (or no check happened). Checking the count, then the
password, then counting a failure let every request that arrived before the
first failure was recorded check a password: 46 of 200 sent at once, against
a limit of 5. Counting first, no more than the limit can be under way.

A lock-out per account lets anyone who knows an email shut its owner out by
failing on purpose. So, as OWASP's "device cookies" advise, a browser that
has logged in to the account before is counted apart: under its own device
token (core/security.py), with the same limit, so a guesser shut out of the
account does not shut out the owner's browser, and the count per address
passes it by, so failures of others behind the same NAT or proxy do not
either (LoginThrottle._address_keys). A token is bound to the
account's id and its current password: only a log-in with that password
yields one, and a new password voids them all, so tokens gathered while a
password was known buy no guesses at the next one.

An account's count belongs to the password being guessed: it is kept under
the account's email and its current password hash. A new password (changed
on the account page, or set by an operator with `python -m crm_app
reset-password` when it was forgotten) starts a count of its own, so the
owner is not kept out by failures against the old one, whichever process
counted them and wherever the counts live.

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

# How often the counts of ended windows are dropped (MemoryCounter).
SWEEP_SECONDS = 60
# The window sign-ups per address are counted in (LoginThrottle.begin_signup).
SIGNUP_WINDOW_SECONDS = 3600


def _key(kind: str, value: str, password_hash: str | None = None) -> str:
    # Hashed: the Redis keyspace should not be a list of emails and addresses. An email is
    # counted whatever its case; a device token's id is case-sensitive (base64url).
    text = value if kind == "device" else value.strip().lower()
    if password_hash:  # an account's count, under the password it has now
        text = f"{text}\n{password_hash}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"crm_app:login-failures:{kind}:{digest}"


@dataclass
class MemoryCounter:
    """Fixed-window counters in this process.

    Forgotten as Redis forgets them: a count taken back to nothing, and a
    window that has ended (swept now and then). Every attempt adds a key, and
    one refused at once costs nothing to send: kept, a stream of made-up
    emails would grow this process's memory without end.
    """

    # key -> (when its window ends, on the monotonic clock; the count)
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_sweep: float = 0.0

    def add(self, key: str, window: int) -> tuple[int, int]:
        """Count one more; (the count now, seconds left in its window)."""
        with self._lock:
            now = time.monotonic()
            if now >= self._next_sweep:
                self._sweep(now)
                self._next_sweep = now + SWEEP_SECONDS
            ends, count = self._windows.get(key, (now + window, 0))
            if ends <= now:
                ends, count = now + window, 0
            self._windows[key] = (ends, count + 1)
            return count + 1, math.ceil(ends - now)

    def _sweep(self, now: float) -> None:
        for key in [key for key, (ends, _) in self._windows.items() if ends <= now]:
            del self._windows[key]

    def take_back(self, key: str) -> None:
        """Count one less, within the window that is running (none: nothing to take back)."""
        with self._lock:
            if key in self._windows:
                ends, count = self._windows[key]
                if count > 1:
                    self._windows[key] = (ends, count - 1)
                else:
                    del self._windows[key]

    def held(self) -> int:
        """How many counts are held (those of ended windows until the next sweep)."""
        return len(self._windows)

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RedisCounter:
    """Fixed-window counters shared by every worker."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)
        # DECR of a key that expired meanwhile would make a -1 that never expires.
        self._take_back = self._redis.register_script(
            "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end"
            " return 0"
        )

    def add(self, key: str, window: int) -> tuple[int, int]:
        """Count one more; (the count now, seconds left in its window)."""
        # NX: the window starts at the first attempt and is not extended by later ones.
        count, _, ttl = (
            self._redis.pipeline().incr(key).expire(key, window, nx=True).ttl(key).execute()
        )
        return int(count), max(int(ttl), 1)

    def take_back(self, key: str) -> None:
        self._take_back(keys=[key])

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
        signups_per_address_per_hour: int | None = None,
    ) -> None:
        self.counter, self.max_failures, self.window = counter, max_failures, window
        self.max_failures_per_address = max_failures_per_address or max_failures
        self.signups_per_address_per_hour = signups_per_address_per_hour

    def _counted_as(self, email: str, device: str | None, password_hash: str | None) -> str:
        """The key a password check counts under: the device's, or else the account's
        (under its current password, if it has an account)."""
        return _key("device", device) if device else _key("account", email, password_hash)

    @staticmethod
    def _address_keys(address: str, device: str | None, always: bool = False) -> list[str]:
        """The address's count, unless the browser has a device token for the account
        (`always`: even then; an answer that may say another account has an email).

        The address count stops one place guessing at many accounts; but an office
        behind one NAT, or every user behind a reverse proxy, shares an address, and
        a guesser's failures there locked out every owner (a probe: 19 failures
        for made-up emails, then 429 for another user's right password). A device
        token's own count, per account, still limits guesses from that browser.
        """
        return [_key("address", address)] if always or not device else []

    def begin_attempt(
        self,
        *,
        email: str,
        address: str,
        device: str | None = None,
        password_hash: str | None = None,
        address_always: bool = False,
    ) -> int | None:
        """Count a password check about to run: None to go ahead, or seconds to wait instead.

        `device` is the id of a valid device token for this email, if the request
        carried one; `password_hash` the account's current one (None: no account
        has this email). Counted as a failure until attempt_succeeded or
        attempt_not_made says otherwise; an attempt refused here is not counted.

        An attempt whose answer says whether another account has an email
        (`address_always`: moving one's account to it) also counts, for an hour,
        against the address's allowance of sign-ups, whatever it answers: a move
        that goes through says no account has the email, and a free account could
        otherwise ask about address after address, its right password clearing
        its count each time.
        """
        limits = [(self._counted_as(email, device, password_hash), self.window, self.max_failures)]
        limits += [
            (key, self.window, self.max_failures_per_address)
            for key in self._address_keys(address, device, address_always)
        ]
        if address_always:
            limits += self._signup_allowance(address)
        return self._count_within(limits)

    def _signup_allowance(self, address: str) -> list[tuple[str, int, int]]:
        """The address's hourly count of accounts made, or moved to an email (if limited)."""
        limit = self.signups_per_address_per_hour
        return [(_key("signups", address), SIGNUP_WINDOW_SECONDS, limit)] if limit else []

    def begin_signup(self, *, address: str) -> int | None:
        """Count a sign-up about to run against its address: None to go ahead, or seconds to wait.

        A sign-up naming an email that has an account says so: it tells a guesser
        what a log-in never does, so it takes the same toll as a wrong password
        (moving one's account to such an email does too: begin_attempt with
        `address_always`). Counted until signup_told_nothing or signup_succeeded
        says otherwise. Every sign-up also counts, for an hour, against the
        address's allowance of accounts made (each costs a password hash).
        """
        limits = [(_key("address", address), self.window, self.max_failures_per_address)]
        return self._count_within(limits + self._signup_allowance(address))

    def _count_within(self, limits: list[tuple[str, int, int]]) -> int | None:
        """One more under each (key, window, limit): None when every count is within its
        limit; else none of them keeps it, and the seconds to wait."""
        counted = [(key, self.counter.add(key, window), limit) for key, window, limit in limits]
        waits = [wait for _, (count, wait), limit in counted if count > limit]
        if not waits:
            return None
        for key, _, _ in counted:
            self.counter.take_back(key)
        return max(waits)

    def signup_told_nothing(self, *, address: str) -> None:
        """The sign-up made no account and met none (its input was refused first)."""
        self.counter.take_back(_key("address", address))
        self.counter.take_back(_key("signups", address))

    def signup_succeeded(self, *, address: str) -> None:
        """The sign-up made an account: it told nothing, and counts as one made."""
        self.counter.take_back(_key("address", address))

    def attempt_succeeded(
        self,
        *,
        email: str,
        address: str,
        device: str | None = None,
        password_hash: str | None = None,
        address_always: bool = False,
    ) -> None:
        """The password was right: the count it was under starts over; the address's loses it.

        From a trusted device, the account's own count is left running: the owner
        logging in does not hand a guesser shut out of the account new tries.
        """
        self.counter.clear(self._counted_as(email, device, password_hash))
        self._take_back_address(address, device, address_always)

    def attempt_told_taken(
        self,
        *,
        email: str,
        address: str,
        device: str | None = None,
        password_hash: str | None = None,
        address_always: bool = False,
    ) -> None:
        """The password was right, and the answer says another account has the email
        asked for: the count it was under starts over, the address's keeps the attempt
        (as a sign-up meeting an account)."""
        self.counter.clear(self._counted_as(email, device, password_hash))

    def attempt_not_made(
        self,
        *,
        email: str,
        address: str,
        device: str | None = None,
        password_hash: str | None = None,
        address_always: bool = False,
    ) -> None:
        """No password was checked after all (an invalid request, an unreachable database)."""
        self.counter.take_back(self._counted_as(email, device, password_hash))
        self._take_back_address(address, device, address_always)
        if address_always:  # nothing was said about the email either
            self.counter.take_back(_key("signups", address))

    def _take_back_address(self, address: str, device: str | None, always: bool) -> None:
        for key in self._address_keys(address, device, always):
            self.counter.take_back(key)


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
            settings.signups_per_address_per_hour,
        )
    return _throttle
