"""Uploads (Reflex's POST /_upload) checked against their own request's cookie."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import crm_app.core.db as db
from crm_app.api.uploads import MAX_UPLOAD_BYTES, UploadSessionCheck
from crm_app.core.db import tenant_session
from crm_app.core.upload_identity import upload_in_flight, uploader
from crm_app.services.csv_io import MAX_FILE_BYTES
from crm_app.services.sessions import COOKIE_NAME, start_session

TOKEN, HANDLER = "tab-token", "state.csv_import.read_file"


@pytest.fixture
def upload_client(engine, monkeypatch):
    """The middleware around a stand-in for Reflex, which answers who it was told sent it."""
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    seen: list[str | None] = []

    async def reflex_upload(request):
        seen.append(uploader(TOKEN, HANDLER))
        return JSONResponse({})

    app = Starlette(routes=[Route("/_upload", reflex_upload, methods=["POST"])])
    client = TestClient(UploadSessionCheck(app), base_url="http://localhost:3000")
    client.seen = seen
    return client


def _upload(client, cookie: str | None, content: bytes = b"name\nA\n"):
    headers = {"reflex-client-token": TOKEN, "reflex-event-handler": HANDLER}
    if cookie is not None:
        headers["cookie"] = f"{COOKIE_NAME}={cookie}"
    return client.post("/_upload", headers=headers, files={"files": ("a.csv", content)})


def _session_of(engine, user) -> str:
    """A live session cookie of the user."""
    with tenant_session(user.id, engine) as session:
        return start_session(session=session, user_id=user.id)


def _database_down(monkeypatch) -> None:
    unreachable = db.create_db_engine("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/crm")
    monkeypatch.setattr(db, "get_engine", lambda: unreachable)


@pytest.mark.parametrize("cookie", [None, "", "forged.token.value"])
def test_an_upload_without_a_live_session_is_refused_before_reflex_reads_it(upload_client, cookie):
    response = _upload(upload_client, cookie)
    assert (response.status_code, response.json()) == (401, {"detail": "Not logged in."})
    assert upload_client.seen == []


def test_an_upload_with_a_session_reaches_reflex_naming_its_sender_only_meanwhile(
    upload_client, engine, make_user
):
    user = make_user()
    assert _upload(upload_client, _session_of(engine, user)).status_code == 200
    assert upload_client.seen == [str(user.id)]
    assert uploader(TOKEN, HANDLER) is None  # forgotten once the request is answered


def test_other_requests_pass_untouched(upload_client):
    assert upload_client.get("/elsewhere").status_code == 404


def test_an_upload_while_the_database_is_down_answers_503(
    upload_client, engine, make_user, monkeypatch
):
    cookie = _session_of(engine, make_user())
    _database_down(monkeypatch)
    response = _upload(upload_client, cookie)
    assert response.status_code == 503
    assert "hunter2" not in response.text
    assert upload_client.seen == []


def test_an_upload_over_the_limit_is_refused_unread_before_the_session_is_looked_up(
    upload_client, engine, make_user, monkeypatch
):
    cookie = _session_of(engine, make_user())
    _database_down(monkeypatch)  # not even asked: a refusal by size costs nothing
    response = _upload(upload_client, cookie, b"name\n" + b"A" * MAX_UPLOAD_BYTES)
    assert response.status_code == 413
    assert "larger than 5 MB" in response.json()["detail"]
    assert upload_client.seen == []


def test_an_upload_that_does_not_declare_its_size_is_refused(upload_client, engine, make_user):
    cookie = _session_of(engine, make_user())
    headers = {"reflex-client-token": TOKEN, "cookie": f"{COOKIE_NAME}={cookie}"}

    def chunks():
        yield b"--x\r\nContent-Disposition: form-data; name=files; filename=a.csv\r\n\r\n"
        yield b"name\nA\n\r\n--x--\r\n"

    headers["content-type"] = "multipart/form-data; boundary=x"
    response = upload_client.post("/_upload", headers=headers, content=chunks())
    assert response.status_code == 411
    assert upload_client.seen == []


def test_a_file_at_the_limit_still_reaches_reflex(upload_client, engine, make_user):
    user = make_user()
    at_limit = b"name\n" + b"A" * (MAX_FILE_BYTES - 5)
    response = _upload(upload_client, _session_of(engine, user), at_limit)
    assert response.status_code == 200
    assert upload_client.seen == [str(user.id)]


def test_uploads_of_two_users_in_flight_at_once_vouch_for_no_one():
    # The event does not say which request it came from: the first one's user must not
    # vouch for another's file (a probe put B's rows into A's import while A's uploaded).
    with upload_in_flight(TOKEN, HANDLER, "user-a"):
        assert uploader(TOKEN, HANDLER) == "user-a"
        with upload_in_flight(TOKEN, HANDLER, "user-a"):  # the same user's second file
            assert uploader(TOKEN, HANDLER) == "user-a"
        with upload_in_flight(TOKEN, HANDLER, "user-b"):
            assert uploader(TOKEN, HANDLER) == ""  # refused by SessionMiddleware
            assert uploader(TOKEN, "state.other.handler") is None
        assert uploader(TOKEN, HANDLER) == "user-a"
    assert uploader(TOKEN, HANDLER) is None
