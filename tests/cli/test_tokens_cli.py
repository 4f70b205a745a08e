"""``slusha tokens create|list|revoke``: the token works on the API once, then not."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from slusha.clock import FrozenClock
from slusha.config import load_settings
from slusha.store.db import Database
from slusha.web.app import create_app


def test_create_list_and_revoke_a_token(slusha, db: Database, clock: FrozenClock) -> None:
    assert slusha("users", "add", "alice", "--role", "admin").exit_code == 0
    created = slusha("tokens", "create", "--user", "alice", "--label", "scripts")
    assert created.exit_code == 0
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("slt_")
    listed = json.loads(slusha("tokens", "list", "--format", "json").stdout)
    assert [(t["user"], t["label"], t["revoked"]) for t in listed] == [("alice", "scripts", False)]
    assert secret not in json.dumps(listed)
    app = create_app(load_settings(environ={}, database_url=db.url), db=db, clock=clock)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "alice"
    assert slusha("tokens", "revoke", str(listed[0]["id"])).exit_code == 0
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    unknown = slusha("tokens", "create", "--user", "nobody")
    assert unknown.exit_code == 2 and "no member named" in unknown.output
