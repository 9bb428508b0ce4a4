"""POST /api/auth/signup, /login, /password, /email and /logout: where session cookies live.

Each takes a native HTML form post from the pages (answered with a 303
redirect) or a JSON body from API clients (answered with JSON).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from crm_app.api.client_address import client_address
from crm_app.api.limits import BodyTooLarge, limited_request
from crm_app.core.config import get_settings
from crm_app.core.db import DATABASE_DOWN_ERRORS, global_session, tenant_session
from crm_app.core.security import (
    DEVICE_TOKEN_LIFETIME,
    DeviceToken,
    create_device_token,
    read_device_token,
    safe_next,
)
from crm_app.models import User
from crm_app.services import sessions, users
from crm_app.services.login_throttle import LoginThrottle, get_login_throttle

router = APIRouter(prefix="/api/auth", tags=["auth"])

MAX_BODY_BYTES = 16 * 1024
LOCALHOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
LOGIN_FAILED = "Email or password is incorrect."
# Says this browser logged in to an account before (login_throttle: counted apart from others).
# Sent only to these endpoints; never read by a page.
DEVICE_COOKIE = "crm_device"
# Said for every limit (failed passwords, accounts made or moved from one address): the
# person may have failed nothing.
THROTTLED = "Too many attempts. Try again later."


@dataclass
class AuthInput:
    """What a form or JSON body carried."""

    fields: dict[str, str]
    is_form: bool

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


async def read_input(request: Request) -> AuthInput:
    """The submitted fields, from a form or a JSON object of strings."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        # Read no further than the limit: body() alone would buffer any size first.
        request = limited_request(request, MAX_BODY_BYTES)
        body = await request.body()
    except BodyTooLarge:
        raise BadRequest(413, "Request body too large.") from None
    if content_type == "application/json":
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(422, "Body is not valid JSON.") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise BadRequest(422, "Send a JSON object of strings.")
        return AuthInput(fields=data, is_form=False)
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return AuthInput(fields={k: v for k, v in form.items() if isinstance(v, str)}, is_form=True)
    raise BadRequest(415, "Send a form or application/json.")


def origin_allowed(request: Request) -> bool:
    """Browsers send Origin on every POST; it must be one of ours. API clients send none."""
    origin = request.headers.get("origin")
    return origin is None or get_settings().accepts_origin(origin)


def cookie_is_secure(request: Request) -> bool:
    """Secure over HTTPS, and on localhost, where browsers accept it over plain HTTP."""
    return (
        request.url.scheme == "https"
        or get_settings().public_base_url.startswith("https://")
        or (request.url.hostname or "") in LOCALHOSTS
    )


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=get_settings().session_lifetime_hours * 3600,
        path="/",
        httponly=True,
        secure=cookie_is_secure(request),
        samesite="lax",
    )


def set_device_cookie(response: Response, request: Request, device_token: str) -> None:
    """Remember that this browser proved it knows the account's current password."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_token,
        max_age=int(DEVICE_TOKEN_LIFETIME.total_seconds()),
        path=router.prefix,
        httponly=True,
        secure=cookie_is_secure(request),
        samesite="strict",
    )


def _login_counted_as(cookie: str | None, email: str) -> tuple[str | None, str | None]:
    """What a log-in to `email` is counted under (login_throttle): the id of the device token
    in `cookie` if that account issued it under the password it has now (None: the attempt
    counts as any browser's), and that password's hash (None: no account has this email).

    Raises DATABASE_DOWN_ERRORS when the account cannot be read.
    """
    claims = read_device_token(cookie)
    with global_session() as session:
        user = users.get_user_by_email(session=session, email=email)
        return _device_id(claims, user), (user.password_hash if user else None)


def _device_id(claims: DeviceToken | None, user: User | None) -> str | None:
    """The token's device id if the user's account issued it under its current password."""
    if claims is None or user is None:
        return None
    issued_here = claims.names(user_id=user.id, password_hash=user.password_hash)
    return claims.device_id if issued_here else None


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        sessions.COOKIE_NAME,
        path="/",
        httponly=True,
        secure=cookie_is_secure(request),
        samesite="lax",
    )


def back_to_form(page: str, error: str, **params: str) -> RedirectResponse:
    query = urlencode({"error": error, **{k: v for k, v in params.items() if v}})
    return RedirectResponse(f"/{page}?{query}", status_code=303)


def refusal(
    data: AuthInput | None, page: str, status: int, message: str, code: str, **params: str
) -> Response:
    """The same refusal as JSON for API clients or as a redirect back to the form."""
    if data is not None and data.is_form:
        return back_to_form(page, code, **params)
    return JSONResponse({"detail": message}, status_code=status)


def too_many_attempts(data: AuthInput, page: str, wait: int, **params: str) -> Response:
    """429 with Retry-After for API clients; back to the form, saying how long, for pages."""
    if data.is_form:
        return back_to_form(page, "throttled", **params, retry=str(wait))
    return JSONResponse({"detail": THROTTLED}, status_code=429, headers={"Retry-After": str(wait)})


def _signup(email: str, password: str, name: str, user_agent: str) -> tuple[str, str, str, str]:
    """(user id, email, session token, device token) of the account made."""
    with global_session() as session:
        user = users.create_user(session=session, email=email, password=password, name=name)
        user_id, user_email, password_hash = user.id, user.email, user.password_hash
    with tenant_session(user_id) as session:
        token = sessions.start_session(session=session, user_id=user_id, user_agent=user_agent)
    device = create_device_token(user_id=user_id, password_hash=password_hash)
    return str(user_id), user_email, token, device


def _login(email: str, password: str, user_agent: str) -> tuple[str, str, str, str] | None:
    """(user id, email, session token, device token), or None for a wrong email or password."""
    with global_session() as session:
        user = users.authenticate(session=session, email=email, password=password)
        if user is None:
            return None
        user_id, user_email, checked = user.id, user.email, user.password_hash
    with tenant_session(user_id) as session:
        # Changed since it was checked: the old password no longer logs in.
        if not users.password_is_still(session=session, user_id=user_id, password_hash=checked):
            return None
        token = sessions.start_session(session=session, user_id=user_id, user_agent=user_agent)
    device = create_device_token(user_id=user_id, password_hash=checked)
    return str(user_id), user_email, token, device


@router.post("/signup", summary="Create an account and start a session")
async def signup(request: Request) -> Response:
    if not origin_allowed(request):
        return JSONResponse({"detail": "Origin not allowed."}, status_code=403)
    try:
        data = await read_input(request)
    except BadRequest as error:
        return JSONResponse({"detail": error.message}, status_code=error.status)
    next_path = safe_next(data.get("next"))
    # Back on the form, what was typed is there again (never the password), and where it
    # was going (the log-in it may offer goes there too).
    typed = {"email": data.get("email"), "name": data.get("name"), "next": data.get("next")}
    throttle, address = get_login_throttle(), client_address(request)
    if (wait := await run_in_threadpool(throttle.begin_signup, address=address)) is not None:
        return too_many_attempts(data, "signup", wait, **typed)
    try:
        user_id, email, token, device = await run_in_threadpool(
            _signup,
            data.get("email"),
            data.get("password"),
            data.get("name"),
            request.headers.get("user-agent", ""),
        )
    except users.EmailTaken as error:  # counted by begin_signup
        return refusal(data, "signup", 409, str(error), "taken", **typed)
    except users.InvalidSignup as error:
        await run_in_threadpool(throttle.signup_told_nothing, address=address)
        return refusal(data, "signup", 422, str(error), error.code, **typed)
    except DATABASE_DOWN_ERRORS:
        await run_in_threadpool(throttle.signup_told_nothing, address=address)
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("signup", "unavailable", **typed)
    await run_in_threadpool(throttle.signup_succeeded, address=address)
    response: Response = (
        RedirectResponse(next_path, status_code=303)
        if data.is_form
        else JSONResponse({"id": user_id, "email": email}, status_code=201)
    )
    set_session_cookie(response, request, token)
    set_device_cookie(response, request, device)
    return response


@router.post("/login", summary="Start a session")
async def login(request: Request) -> Response:
    if not origin_allowed(request):
        return JSONResponse({"detail": "Origin not allowed."}, status_code=403)
    try:
        data = await read_input(request)
    except BadRequest as error:
        return JSONResponse({"detail": error.message}, status_code=error.status)
    email, address = users.normalize_email(data.get("email")), client_address(request)
    next_path = data.get("next")
    # Back on the form, the email typed is there again (never the password).
    typed = {"email": data.get("email")[:320], "next": next_path or ""}
    throttle = get_login_throttle()
    try:
        device, password_hash = await run_in_threadpool(
            _login_counted_as, request.cookies.get(DEVICE_COOKIE), email
        )
    except DATABASE_DOWN_ERRORS:
        # No password can be checked either: the owner's browser is told the service is
        # down, not counted as any browser and told its account is locked out.
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("login", "unavailable", **typed)
    counted = {"email": email, "address": address, "device": device, "password_hash": password_hash}
    if (wait := await run_in_threadpool(partial(throttle.begin_attempt, **counted))) is not None:
        return too_many_attempts(data, "login", wait, **typed)
    try:
        result = await run_in_threadpool(
            _login, email, data.get("password"), request.headers.get("user-agent", "")
        )
    except DATABASE_DOWN_ERRORS:
        await run_in_threadpool(partial(throttle.attempt_not_made, **counted))
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("login", "unavailable", **typed)
    if result is None:  # counted by begin_attempt
        return refusal(data, "login", 401, LOGIN_FAILED, "invalid", **typed)
    await run_in_threadpool(partial(throttle.attempt_succeeded, **counted))
    user_id, user_email, token, device_token = result
    response: Response = (
        RedirectResponse(safe_next(next_path), status_code=303)
        if data.is_form
        else JSONResponse({"id": user_id, "email": user_email})
    )
    set_session_cookie(response, request, token)
    set_device_cookie(response, request, device_token)
    return response


def _session_account(
    token: str | None, device_cookie: str | None
) -> tuple[uuid.UUID, str, str | None, str] | None:
    """The id and email of the account whose live session this token is, the id of the
    device token the request carries if that account issued it, and the account's password
    hash (what its failures count under); None without a session."""
    user_id = sessions.user_id_from_token(token)
    if user_id is None:
        return None
    claims = read_device_token(device_cookie)
    with global_session() as session:
        user = users.get_user(session=session, user_id=user_id)
        if user is None:
            return None
        return user.id, user.email, _device_id(claims, user), user.password_hash


def _change_password(
    user_id: uuid.UUID, current: str, new: str, user_agent: str
) -> tuple[str, str] | None:
    """A fresh session token and device token after the change (every older session ended,
    every device token voided); None if `current` is wrong."""
    # One tenant unit of work: the new hash, every old session ended, a new one started.
    with tenant_session(user_id) as session:
        if not users.change_password(
            session=session, user_id=user_id, current_password=current, new_password=new
        ):
            return None
        sessions.revoke_all_sessions(session=session, user_id=user_id)
        token = sessions.start_session(session=session, user_id=user_id, user_agent=user_agent)
        user = users.get_user(session=session, user_id=user_id)  # the one just changed
        assert user is not None
        return token, create_device_token(user_id=user_id, password_hash=user.password_hash)


@dataclass
class AccountChange:
    """A request to change the logged-in account, checked this far: what was sent, and by whom."""

    data: AuthInput
    user_id: uuid.UUID
    email: str
    address: str
    throttle: LoginThrottle
    # The id of the device token the request carried for this account (login_throttle).
    device: str | None
    # The account's password hash when the request came: its failures count under it.
    password_hash: str
    # What goes back to the form with a refusal: which form, and what was typed in it.
    echo: dict[str, str]
    # Whether its answer may say that another account has an email (login_throttle).
    tells_taken: bool = False

    async def wrong_password(self) -> Response:
        # Counted already, when the attempt began.
        return refusal(
            self.data,
            "account",
            401,
            "Current password is incorrect.",
            "wrong-password",
            **self.echo,
        )

    @property
    def counted(self) -> dict[str, Any]:
        """What the throttle counted this request under."""
        return {
            "email": self.email,
            "address": self.address,
            "device": self.device,
            "password_hash": self.password_hash,
            "address_always": self.tells_taken,
        }

    async def right_password(self) -> None:
        await run_in_threadpool(partial(self.throttle.attempt_succeeded, **self.counted))

    async def told_taken(self) -> None:
        """The password was right, and the answer says another account has the email."""
        await run_in_threadpool(partial(self.throttle.attempt_told_taken, **self.counted))

    async def password_not_checked(self) -> None:
        """Refused before the current password was looked at: the attempt does not count."""
        await run_in_threadpool(partial(self.throttle.attempt_not_made, **self.counted))


async def _account_change(
    request: Request, form: str = "", echo: tuple[str, ...] = (), tells_taken: bool = False
) -> AccountChange | Response:
    """Origin, body, session and throttle of a request to /account's endpoints.

    The AccountChange, or the Response that refuses the request. Such a request
    carries the current password, so guessing it with a stolen cookie meets the
    same throttle as log-in, on the same count: together they allow no more
    guesses, and no longer lock-out. One whose answer may say that another
    account has an email (`tells_taken`) counts against the address even from
    a trusted browser, as a sign-up does (login_throttle).
    """
    if not origin_allowed(request):
        return JSONResponse({"detail": "Origin not allowed."}, status_code=403)
    try:
        data = await read_input(request)
    except BadRequest as error:
        return JSONResponse({"detail": error.message}, status_code=error.status)
    echoed = ({"form": form} if form else {}) | {name: data.get(name) for name in echo}
    try:
        account = await run_in_threadpool(
            _session_account,
            request.cookies.get(sessions.COOKIE_NAME),
            request.cookies.get(DEVICE_COOKIE),
        )
    except DATABASE_DOWN_ERRORS:
        # Nothing counted yet: back to the form saying so, as when the change itself fails.
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("account", "unavailable", **echoed)
    if account is None:
        # A tab whose session ended elsewhere: log in again, then a clean form (no stale verdict).
        if data.is_form:
            return RedirectResponse(f"/login?{urlencode({'next': '/account'})}", status_code=303)
        return JSONResponse({"detail": "Not logged in."}, status_code=401)
    user_id, email, device, password_hash = account
    address, throttle = client_address(request), get_login_throttle()
    change = AccountChange(
        data, user_id, email, address, throttle, device, password_hash, echoed, tells_taken
    )
    wait = await run_in_threadpool(partial(throttle.begin_attempt, **change.counted))
    if wait is not None:
        return too_many_attempts(data, "account", wait, **echoed)
    return change


@router.post("/password", summary="Change the password; every other session ends at once")
async def change_password(request: Request) -> Response:
    change = await _account_change(request)
    if not isinstance(change, AccountChange):
        return change
    data = change.data
    try:
        changed = await run_in_threadpool(
            _change_password,
            change.user_id,
            data.get("current_password"),
            data.get("new_password"),
            request.headers.get("user-agent", ""),
        )
    except users.InvalidSignup as error:  # the new password, checked first
        await change.password_not_checked()
        return refusal(data, "account", 422, str(error), error.code)
    except DATABASE_DOWN_ERRORS:
        # No password was checked: not counted (five during an outage locked the account).
        await change.password_not_checked()
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("account", "unavailable", **change.echo)
    if changed is None:
        return await change.wrong_password()
    await change.right_password()
    new_token, device_token = changed
    response: Response = (
        RedirectResponse("/account?changed=1", status_code=303)
        if data.is_form
        else JSONResponse({"detail": "Password changed."})
    )
    set_session_cookie(response, request, new_token)
    # The browser that changed it stays trusted; every other device token is void now.
    set_device_cookie(response, request, device_token)
    return response


def _change_email(user_id: uuid.UUID, current: str, new: str) -> str | None:
    """The account's email after the change; None if `current` is not its password."""
    with global_session() as session:
        user = users.change_email(
            session=session, user_id=user_id, current_password=current, new_email=new
        )
        return user.email if user is not None else None


@router.post("/email", summary="Change the login email (the current password is required)")
async def change_email(request: Request) -> Response:
    # Back on the page, a verdict goes to the email form, with what was typed in it.
    # "Taken" says an account has that email, as a sign-up meeting one does: it costs the
    # address as much, or any account (a free sign-up) could ask about address after
    # address, its right password clearing its own count every time.
    change = await _account_change(request, form="email", echo=("new_email",), tells_taken=True)
    if not isinstance(change, AccountChange):
        return change
    data = change.data
    try:
        changed_to = await run_in_threadpool(
            _change_email, change.user_id, data.get("current_password"), data.get("new_email")
        )
    except users.EmailTaken as error:  # checked after the password, which was right
        await change.told_taken()
        return refusal(data, "account", 409, str(error), "email-taken", **change.echo)
    except users.InvalidSignup as error:  # the new address, checked first
        await change.password_not_checked()
        return refusal(data, "account", 422, str(error), error.code, **change.echo)
    except DATABASE_DOWN_ERRORS:
        # No password was checked: not counted (five during an outage locked the account).
        await change.password_not_checked()
        if not data.is_form:
            raise  # JSON clients get the app's 503 with Retry-After
        return back_to_form("account", "unavailable", **change.echo)
    if changed_to is None:
        return await change.wrong_password()
    await change.right_password()
    if data.is_form:
        return RedirectResponse("/account?email_changed=1", status_code=303)
    return JSONResponse({"email": changed_to})


@router.post("/logout", summary="End the current session")
async def logout(request: Request) -> Response:
    if not origin_allowed(request):
        return JSONResponse({"detail": "Origin not allowed."}, status_code=403)
    token = request.cookies.get(sessions.COOKIE_NAME)
    try:
        await run_in_threadpool(sessions.end_session_for_token, token)
        ended = True
    except DATABASE_DOWN_ERRORS:
        # The browser lets go of its cookie all the same: on a shared computer, the next
        # person must not find this account open once the database is back.
        ended = False
    wants_json = "application/json" in request.headers.get("accept", "") or (
        request.headers.get("content-type", "").startswith("application/json")
    )
    response: Response
    if wants_json:
        detail = "Logged out." if ended else sessions.LOGGED_OUT_HERE_ONLY
        response = JSONResponse({"detail": detail}, status_code=200 if ended else 503)
    else:
        query = "" if ended else f"?{urlencode({'ended': sessions.ENDED_HERE_ONLY})}"
        response = RedirectResponse(f"/login{query}", status_code=303)
    clear_session_cookie(response, request)
    return response
