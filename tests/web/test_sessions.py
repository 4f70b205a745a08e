"""Sign-in, session cookies, timeouts, lock-out, CSRF and security headers."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from slusha.store.schema import AuditEntry, WebSession
from tests.web.support import PASSWORD, World, all_routes, csrf_of, sign_in


def _cookie_header(response) -> str:
    return "; ".join(v for k, v in response.headers.multi_items() if k == "set-cookie"
                     and v.startswith("slusha_session="))  # fmt: skip


def test_sign_in_sets_a_hardened_cookie_stored_only_as_a_hash(world: World) -> None:
    client = world.client()
    response = sign_in(client, "care_viewer")
    assert response.status_code == 303 and response.headers["location"] == "/mentions"
    header = _cookie_header(response)
    assert "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")
    assert "Secure" not in header  # plain http in this test
    token = client.cookies["slusha_session"]
    with world.db.transaction() as tx:
        hashes = list(tx.session.scalars(select(WebSession.token_hash)))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes


def test_cookie_is_secure_behind_https(world: World) -> None:
    client = TestClient(world.app, base_url="https://slusha.example", follow_redirects=False)
    assert "Secure" in _cookie_header(sign_in(client, "care_viewer"))


def test_sign_in_rotates_the_session(world: World) -> None:
    client = world.client("care_viewer")
    first = client.cookies["slusha_session"]
    sign_in(client, "care_viewer")
    second = client.cookies["slusha_session"]
    assert first != second
    stale = TestClient(world.app, follow_redirects=False, cookies={"slusha_session": first})
    assert stale.get("/mentions").status_code == 303


def test_idle_and_absolute_timeouts(world: World) -> None:
    client = world.client("care_viewer")
    world.clock.advance(59 * 60)
    assert client.get("/mentions").status_code == 200
    world.clock.advance(59 * 60)  # seen a minute ago counts: still within the idle window
    assert client.get("/mentions").status_code == 200
    world.clock.advance(61 * 60)
    response = client.get("/mentions")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    busy = world.client("care_viewer")
    for _ in range(14):
        world.clock.advance(55 * 60)
        last = busy.get("/mentions").status_code
    assert last == 303  # 12 hours after sign-in, however busy


def test_wrong_password_and_lock_out_with_backoff(world: World) -> None:
    client = world.client()
    for _ in range(4):
        assert sign_in(client, "care_viewer", "wrong password").status_code == 401
    locked = sign_in(client, "care_viewer", "wrong password")
    assert locked.status_code == 429
    first_wait = int(locked.headers["retry-after"])
    # Even the right password is refused while locked.
    assert sign_in(client, "care_viewer", PASSWORD).status_code == 429
    world.clock.advance(first_wait + 1)
    again = sign_in(client, "care_viewer", "wrong password")
    assert again.status_code == 429 and int(again.headers["retry-after"]) > first_wait
    world.clock.advance(3600)
    assert sign_in(client, "care_viewer", PASSWORD).status_code == 303


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(world: World) -> None:
    client = world.client()
    assert sign_in(client, "nobody", "x").text.count("wrong") == sign_in(
        client, "care_viewer", "x"
    ).text.count("wrong")


def test_sign_in_form_needs_its_csrf_token(world: World) -> None:
    client = world.client()
    client.get("/signin")
    response = client.post("/signin", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403


def test_every_state_changing_page_route_refuses_a_missing_csrf_token(world: World) -> None:
    client = world.client("admin")
    del client.headers["X-CSRF-Token"]
    checked = 0
    for method, path in all_routes(world.app.routes):
        if method == "GET" or path in ("/signin",) or path.startswith("/api/v1/ingest"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, url, data={"x": "1"})
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        assert "csrf" in response.text.lower() or "form expired" in response.text
        checked += 1
    assert checked >= 20


def test_sign_out_ends_the_session(world: World) -> None:
    client = world.client("care_viewer")
    token = csrf_of(client.get("/profile").text)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/mentions").status_code == 303


def test_next_only_redirects_within_the_site(world: World) -> None:
    client = world.client()
    page = client.get("/signin?next=//evil.example/x")
    response = client.post("/signin", data={
        "username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text),
        "next": "https://evil.example/",
    })  # fmt: skip
    assert response.headers["location"] == "/mentions"


def test_security_headers_on_pages_api_and_errors(world: World) -> None:
    client = world.client("admin")
    for path in ("/signin", "/mentions", "/api/v1/mentions", "/nope", "/static/app.js"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_password_change_signs_out_other_sessions(world: World) -> None:
    phone = world.client("care_viewer")
    laptop = world.client("care_viewer")
    response = laptop.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "a much longer secret",
    })  # fmt: skip
    assert response.status_code == 200
    assert laptop.get("/mentions").status_code == 200
    assert phone.get("/mentions").status_code == 303
    assert sign_in(world.client(), "care_viewer", "a much longer secret").status_code == 303
    with world.db.transaction() as tx:
        actions = set(tx.session.scalars(select(AuditEntry.action)))
    assert {"user.sign_in", "user.password_change"} <= actions
