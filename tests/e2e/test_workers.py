"""Sessions and login throttling hold whichever worker serves a request.

With CRM_E2E_REDIS_URL set (as .ci/run does for its second pass) the app runs
Reflex's Redis state manager and several backend workers; these tests then
show that nothing depends on landing on the same worker twice.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, sign_up, unique_email


def test_a_session_survives_any_worker_serving_the_next_page(page, app_server):
    sign_up(page, app_server.base_url, email=unique_email("worker"), name="Worker Hopper")
    for _ in range(6):
        page.reload()
        expect(page).to_have_url(re.compile(r"/dashboard/?$"))
        expect(page.get_by_role("main").get_by_text("Worker Hopper")).to_be_visible()


def test_login_throttling_counts_across_requests_and_workers(page, app_server):
    email = unique_email("throttled")
    sign_up(page, app_server.base_url, email=email, name="Throttled")
    statuses = [
        page.request.post(
            f"{app_server.base_url}/api/auth/login",
            data={"email": email, "password": "not the password"},
            headers={"content-type": "application/json"},
        ).status
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    # Even the right password is refused now, wherever the request lands.
    for _ in range(3):
        response = page.request.post(
            f"{app_server.base_url}/api/auth/login",
            data={"email": email, "password": PASSWORD},
            headers={"content-type": "application/json"},
        )
        assert response.status == 429
        assert int(response.headers["retry-after"]) > 0
