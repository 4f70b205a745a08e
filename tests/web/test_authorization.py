"""Every route x every role x own team / other team, with the expected answer written down.

Callers, in column order: the organisation admin; Customer care's admin, manager, responder,
viewer and reviewer (for them "own team" is Customer care, "other team" is HR); HR's viewer; and
nobody signed in. API routes are called with bearer tokens, pages with a session cookie (and
its CSRF token), so both ways in are covered.
"""

from __future__ import annotations

import re
from typing import Any

from tests.support.alerting import plugin_registry
from tests.web.support import World, all_routes

CALLERS = ("admin", "care_admin", "care_manager", "care_responder", "care_viewer",
           "care_reviewer", "hr_viewer", None)  # fmt: skip

# (method, path, body) -> answers in CALLERS order. {x} placeholders are filled from the world:
# care_pub = a Customer care mention of a shared topic; care_priv = of Care's private topic;
# hr_priv = of HR's private topic; hr_pub = of HR's shared topic.
API: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/v1/mentions", None,                               "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/mentions/{care_pub}", None,                    "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/mentions/{care_priv}", None,                   "200 200 200 200 200 200 404 401"),
    ("GET", "/api/v1/mentions/{hr_priv}", None,                     "200 404 404 404 404 404 200 401"),
    ("POST", "/api/v1/mentions/{care_pub}/corrections",
     {"field": "sentiment", "value": "neutral"},                    "200 200 200 200 403 403 403 401"),
    ("POST", "/api/v1/mentions/{hr_pub}/corrections",
     {"field": "lang", "value": "mk"},                              "200 403 403 403 403 403 403 401"),
    ("POST", "/api/v1/mentions/{hr_priv}/corrections",
     {"field": "lang", "value": "mk"},                              "200 404 404 404 404 404 403 401"),
    ("GET", "/api/v1/topics", None,                                 "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/topics/{t_refunds}", None,                     "200 200 200 200 200 200 404 401"),
    ("GET", "/api/v1/topics/{t_jobs}", None,                        "200 404 404 404 404 404 200 401"),
    ("POST", "/api/v1/topics",
     {"name": "New {who}", "team_id": "{care}", "query": "acme"},   "201 201 201 403 403 403 403 401"),
    ("POST", "/api/v1/topics",
     {"name": "HR {who}", "team_id": "{hr}", "query": "acme"},      "201 403 403 403 403 403 403 401"),
    ("PATCH", "/api/v1/topics/{t_acme}", {"enabled": True},         "200 200 200 403 403 403 403 401"),
    ("PATCH", "/api/v1/topics/{t_hrpub}", {"enabled": True},        "200 403 403 403 403 403 403 401"),
    ("PATCH", "/api/v1/topics/{t_jobs}", {"enabled": True},         "200 404 404 404 404 404 403 401"),
    ("POST", "/api/v1/topics/check", {"query": "acme AND"},         "200 200 200 200 200 200 200 401"),
    ("POST", "/api/v1/topics/test", {"query": "acme"},              "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/sources", None,                                "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/sources/kinds", None,                          "200 200 200 200 200 200 200 401"),
    ("POST", "/api/v1/sources", {"kind": "webhook", "name": "Hook {who}",
     "secrets": {"api_token": "matrix-token-0123456789"}},          "201 201 201 403 403 403 403 401"),
    ("PATCH", "/api/v1/sources/999999", {"enabled": False},         "404 404 404 403 403 403 403 401"),
    ("POST", "/api/v1/sources/999999/test", None,                   "404 404 404 403 403 403 403 401"),
    ("GET", "/api/v1/teams", None,                                  "200 200 200 200 200 200 200 401"),
    ("POST", "/api/v1/teams", {"name": "Team {who}"},               "201 403 403 403 403 403 403 401"),
    ("GET", "/api/v1/teams/{care}/members", None,                   "200 200 200 200 200 200 404 401"),
    ("GET", "/api/v1/teams/{hr}/members", None,                     "200 404 404 404 404 404 200 401"),
    ("PUT", "/api/v1/teams/{care}/members",
     {"username": "hr_manager", "role": "viewer"},                  "200 200 200 403 403 403 404 401"),
    ("DELETE", "/api/v1/teams/{care}/members/{u_hr_manager}", None, "200 200 200 403 403 403 404 401"),
    ("PUT", "/api/v1/teams/{hr}/members",
     {"username": "hr_manager", "role": "manager"},                 "200 404 404 404 404 404 403 401"),
    ("DELETE", "/api/v1/teams/{hr}/members/{u_hr_manager}", None,   "200 404 404 404 404 404 403 401"),
    ("GET", "/api/v1/dashboards/org/volume", None,                  "200 200 200 200 200 200 200 401"),
    ("GET", "/api/v1/dashboards/teams/{care}/sentiment", None,      "200 200 200 200 200 200 404 401"),
    ("GET", "/api/v1/dashboards/teams/{hr}/topics", None,           "200 404 404 404 404 404 200 401"),
    ("GET", "/api/v1/corrections/export", None,                     "200 200 200 403 403 403 403 401"),
    ("GET", "/api/v1/me", None,                                     "200 200 200 200 200 200 200 401"),
    ("PATCH", "/api/v1/me", {"locale": "mk"},                       "200 200 200 200 200 200 200 401"),
    ("POST", "/api/v1/me/password",
     {"current_password": "wrong", "new_password": "x" * 12},       "422 422 422 422 422 422 422 401"),
    ("GET", "/api/v1/me/tokens", None,                              "200 200 200 200 200 200 200 401"),
    ("POST", "/api/v1/me/tokens", {"label": "matrix"},              "201 201 201 201 201 201 201 401"),
    ("DELETE", "/api/v1/me/tokens/999999", None,                    "404 404 404 404 404 404 404 401"),
]  # fmt: skip

PAGES: list[tuple[str, str, Any, str]] = [
    ("GET", "/", None,                                              "303 303 303 303 303 303 303 303"),
    ("GET", "/mentions", None,                                      "200 200 200 200 200 200 200 303"),
    ("GET", "/mentions/{care_pub}", None,                           "200 200 200 200 200 200 200 303"),
    ("GET", "/mentions/{care_priv}", None,                          "200 200 200 200 200 200 404 303"),
    ("GET", "/mentions/{hr_priv}", None,                            "200 404 404 404 404 404 200 303"),
    ("POST", "/mentions/{care_pub}/correct",
     {"field": "sentiment", "value": "positive"},                   "303 303 303 303 403 403 403 303"),
    ("GET", "/topics", None,                                        "200 200 200 200 200 200 200 303"),
    ("GET", "/topics/new", None,                                    "200 200 200 200 200 200 200 303"),
    ("POST", "/topics/new",
     {"name": "Page {who}", "team_id": "{care}", "query": "acme"},  "303 303 303 403 403 403 403 303"),
    ("GET", "/topics/{t_refunds}", None,                            "200 200 200 200 200 200 404 303"),
    ("POST", "/topics/{t_acme}",
     {"name": "Acme", "query": "acme NOT job*", "enabled": "true"}, "303 303 303 403 403 403 403 303"),
    ("POST", "/topics/{t_jobs}",
     {"name": "Acme jobs", "query": "acme job*", "is_private": "true"}, "303 404 404 404 404 404 403 303"),
    ("POST", "/topics/check", {"query": "acme ("},                  "200 200 200 200 200 200 200 303"),
    ("GET", "/alerts", None,                                        "200 303 303 303 303 303 303 303"),
    ("GET", "/alerts/teams/{care}", None,                           "200 200 200 200 200 200 404 303"),
    ("GET", "/alerts/teams/{hr}", None,                             "200 404 404 404 404 404 200 303"),
    ("POST", "/alerts/teams/{care}/rules",
     {"kind": "match", "name": "R {who}", "channels": "email:care@example.org"},
                                                                    "303 303 303 403 403 403 404 303"),
    ("POST", "/alerts/check", {"filter": "acme ("},                 "200 200 200 200 200 200 200 303"),
    ("POST", "/alerts/rules/999999/disable", {},                    "404 404 404 404 404 404 404 303"),
    ("POST", "/alerts/rules/999999/enable", {},                     "404 404 404 404 404 404 404 303"),
    ("POST", "/alerts/rules/999999/snooze", {"hours": "1"},         "404 404 404 404 404 404 404 303"),
    ("POST", "/alerts/rules/999999/test", {},                       "404 404 404 404 404 404 404 303"),
    ("POST", "/alerts/rules/{care_rule}/snooze", {"hours": "1"},    "303 303 303 403 403 403 404 303"),
    ("POST", "/alerts/rules/{care_rule}/disable", {},               "303 303 303 403 403 403 404 303"),
    ("POST", "/alerts/rules/{care_rule}/enable", {},                "303 303 303 403 403 403 404 303"),
    ("POST", "/alerts/rules/{care_rule}/delete", {},                "404 404 404 404 404 404 404 303"),
    ("POST", "/topics/test", {"query": "acme"},                     "200 200 200 200 200 200 200 303"),
    ("GET", "/sources", None,                                       "200 200 200 200 200 200 200 303"),
    ("POST", "/sources/new", {"kind": "webhook", "name": "Page hook {who}",
     "api_token": "matrix-token-0123456789"},                       "303 303 303 403 403 403 403 303"),
    ("POST", "/sources/999999/test", {},                            "404 404 404 403 403 403 403 303"),
    ("POST", "/sources/999999/enable", {},                          "404 404 404 403 403 403 403 303"),
    ("POST", "/sources/999999/disable", {},                         "404 404 404 403 403 403 403 303"),
    ("GET", "/teams", None,                                         "200 200 200 200 200 200 200 303"),
    ("POST", "/teams", {"name": "Page team {who}"},                 "303 403 403 403 403 403 403 303"),
    ("GET", "/teams/{care}", None,                                  "200 200 200 200 200 200 404 303"),
    ("GET", "/teams/{hr}", None,                                    "200 404 404 404 404 404 200 303"),
    ("POST", "/teams/{care}/members",
     {"username": "hr_manager", "role": "viewer"},                  "303 303 303 403 403 403 404 303"),
    ("POST", "/teams/{care}/members/{u_hr_manager}/remove", {},     "303 303 303 403 403 403 404 303"),
    ("GET", "/dashboard", None,                                     "200 200 200 200 200 200 200 303"),
    ("GET", "/dashboard/teams/{care}", None,                        "200 200 200 200 200 200 404 303"),
    ("GET", "/dashboard/teams/{hr}", None,                          "200 404 404 404 404 404 200 303"),
    ("GET", "/profile", None,                                       "200 200 200 200 200 200 200 303"),
    ("POST", "/profile/password",
     {"current_password": "wrong", "new_password": "y" * 12},       "422 422 422 422 422 422 422 303"),
    ("POST", "/profile/tokens", {"label": "page"},                  "200 200 200 200 200 200 200 303"),
    ("POST", "/profile/tokens/999999/revoke", {},                   "404 404 404 404 404 404 404 303"),
    ("POST", "/locale", {"locale": "en", "back": "/mentions"},      "303 303 303 303 303 303 303 303"),
    ("GET", "/api/docs", None,                                      "200 200 200 200 200 200 200 200"),
    ("GET", "/status", None,                                        "200 403 403 403 403 403 403 303"),
    ("POST", "/status/deliveries/retry", {"job_id": "999999"},      "404 403 403 403 403 403 403 303"),
    ("GET", "/healthz", None,                                       "200 200 200 200 200 200 200 200"),
    ("GET", "/readyz", None,                                        "200 200 200 200 200 200 200 200"),
    ("GET", "/inbox", None,                                         "200 303 303 303 303 303 303 303"),
    ("GET", "/inbox/teams/{care}", None,                            "200 200 200 200 200 200 200 303"),
    ("GET", "/inbox/mine", None,                                    "200 200 200 200 200 200 200 303"),
    ("GET", "/inbox/report", None,                                  "200 200 200 200 200 200 200 303"),
    ("POST", "/inbox/bulk",
     {"mention_ids": "{care_priv}", "priority": "normal"},          "303 303 303 303 303 303 303 303"),
    ("POST", "/mentions/{care_priv}/status", {"status": "new"},     "422 422 422 422 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/assign", {"user": "me"},        "303 303 303 303 403 403 404 303"),
    ("POST", "/mentions/{hr_priv}/assign", {"user": "me"},          "303 404 404 404 404 404 403 303"),
    ("POST", "/mentions/{care_priv}/handover",
     {"team": "Customer care"},                                     "422 422 422 422 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/priority", {"priority": "high"}, "303 303 303 303 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/tags", {"add": "matrix"},       "303 303 303 303 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/notes", {"text": "{who} was here"}, "303 303 303 303 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/reply",
     {"key": "matrix-{who}", "text": "hello"},                      "400 400 400 400 403 403 404 303"),
    ("POST", "/mentions/{care_priv}/presence", {},                  "200 200 200 200 200 200 404 303"),
    ("GET", "/mentions/{care_priv}/work", None,                     "200 200 200 200 200 200 404 303"),
    ("GET", "/mentions/{hr_pub}/work", None,                        "200 403 403 403 403 403 200 303"),
    ("POST", "/mentions/{care_priv}/leave", {},                     "204 204 204 204 204 204 404 303"),
]  # fmt: skip

# Routes this matrix deliberately leaves to other tests (sign-in flow, static files, SSE).
# Routes of other features, whose owners add their rows here (issue 6 covers the rest).
OTHER_FEATURES = ("/api/v1/alerts", "/api/v1/inbox", "/api/v1/reports", "/api/v1/routing-rules")
ELSEWHERE = {"/signin", "/signout", "/live/mentions", "/live/alerts", "/static/vendor/vega-bundle.js",
             "/api/v1/openapi.json", "/live/presence/{mention_id:int}"}  # fmt: skip


def _values(world: World) -> dict[str, Any]:
    m = world.mentions
    t = world.topics
    with world.db.transaction() as tx:
        from slusha.store.users import get_user_by_name

        hr_manager = get_user_by_name(tx.session, username="hr_manager")
        assert hr_manager is not None
        hr_manager_id = hr_manager.id
    from slusha.services.alert_specs import RuleSpec
    from slusha.services.alerts import create_rule

    care_rule = create_rule(
        world.db, spec=RuleSpec(team="Customer care", kind="match", name="Matrix rule",
                                channels=("email:care@example.org",)),
        settings=world.app.state.slusha.settings, clock=world.clock, registry=plugin_registry(),
    ).rule.id  # fmt: skip
    return {
        "care_pub": m[f"p1:{t['acme']}"], "care_priv": m[f"p2:{t['refunds']}"],
        "hr_priv": m[f"p3:{t['jobs']}"], "hr_pub": m[f"p4:{t['hrpub']}"],
        "t_acme": t["acme"], "t_refunds": t["refunds"], "t_jobs": t["jobs"],
        "t_hrpub": t["hrpub"], "care": world.teams["care"], "hr": world.teams["hr"],
        "u_hr_manager": hr_manager_id, "care_rule": care_rule,
    }  # fmt: skip


def _fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            return values[value[1:-1]]
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _pattern(path: str) -> re.Pattern[str]:
    """A route's path as a regular expression (``{x}``, ``{x:int}``, ``{x:path}``)."""
    out = []
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            out.append(
                ".+" if part.endswith(":path}") else "[0-9]+" if ":int}" in part else "[^/]+"
            )
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def _answering(routes: list[tuple[str, str]], method: str, path: str) -> tuple[str, str] | None:
    """The route that answers a request: the first that matches, as the router picks."""
    for route in routes:
        if route[0] == method and _pattern(route[1]).fullmatch(path.split("?", 1)[0]):
            return route
    return None


def test_every_route_is_in_the_matrix(world: World) -> None:
    values = {**_values(world), "who": "matrix"}
    routes = all_routes(world.app.routes)
    answered = {_answering(routes, m, _fill(p, values)) for m, p, _b, _e in API + PAGES}
    missing = []
    for method, path in routes:
        if path in ELSEWHERE or path.startswith(("/static", *OTHER_FEATURES)):
            continue
        if (method, path) not in answered:
            missing.append(f"{method} {path}")
    assert missing == [], missing
    assert len(routes) > 50


def test_api_matrix(world: World) -> None:
    values = _values(world)
    tokens = {who: world.token(who) for who in CALLERS if who}
    client = world.client()
    failures = []
    # Caller by caller, so each one's PUT is followed by its own DELETE.
    for column, who in enumerate(CALLERS):
        for method, path, body, expected in API:
            want = expected.split()[column]
            filled = {**values, "who": who or "anon"}
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
            response = client.request(
                method, _fill(path, filled), json=_fill(body, filled), headers=headers
            )
            if response.status_code != int(want):
                failures.append(f"{method} {path} as {who}: {response.status_code} != {want}")
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
    assert failures == [], "\n".join(failures)


def test_page_matrix(world: World) -> None:
    values = _values(world)
    clients = {who: world.client(who) for who in CALLERS}
    failures = []
    for column, who in enumerate(CALLERS):
        for method, path, body, expected in PAGES:
            want = expected.split()[column]
            filled = {**values, "who": who or "anon"}
            client = clients[who]
            data = _fill(body, filled) if body is not None else None
            response = client.request(method, _fill(path, filled), data=data)
            if response.status_code != int(want):
                failures.append(f"{method} {path} as {who}: {response.status_code} != {want}")
    assert failures == [], "\n".join(failures)


def test_a_read_only_token_cannot_change_anything(world: World) -> None:
    token = world.token("admin", scope="read")
    client = world.client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/mentions", headers=headers).status_code == 200
    values = _values(world)
    for method, path, body, _expected in API:
        if method == "GET" or path.startswith("/api/v1/topics/check") or path.endswith("/test"):
            continue
        filled = {**values, "who": "ro"}
        response = client.request(method, _fill(path, filled), json=_fill(body, filled),
                                  headers=headers)  # fmt: skip
        assert response.status_code in (403, 404, 422), f"{method} {path}"
        assert response.status_code != 422 or path.endswith("/password") is False
