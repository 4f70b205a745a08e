"""Reddit OAuth and API calls (https://www.reddit.com/dev/api, OAuth2 wiki)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from slusha.errors import PermanentError
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient


class RedditClient:
    """Application-only or script-app OAuth; tokens kept in the process cache, never stored."""

    def __init__(
        self,
        ctx: PluginContext,
        *,
        auth_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.http: HttpClient = ctx.http
        self.auth_url = auth_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password

    def _cache_key(self) -> str:
        basis = f"{self.auth_url}|{self.client_id}|{self.username or ''}"
        return "reddit-token:" + hashlib.sha256(basis.encode()).hexdigest()

    async def token(self, *, refresh: bool = False) -> str:
        """An access token: client_credentials, or password grant for a script app account."""
        key = self._cache_key()
        cached = self.ctx.cache.get(key)
        now = self.ctx.clock.now().timestamp()
        if cached and not refresh and cached[1] > now:
            return str(cached[0])
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = {"grant_type": "client_credentials"}
        if self.username and self.password:
            form = {"grant_type": "password", "username": self.username,
                    "password": self.password}  # fmt: skip
        response = await self.http.request(
            "POST", self.auth_url + "/api/v1/access_token",
            headers={"Authorization": f"Basic {basic}"}, form=form,
        )  # fmt: skip
        data = response.json()
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise PermanentError(
                f"Reddit refused the app credentials ({data.get('error', 'no token')})"
                if isinstance(data, dict) else "Reddit sent no token",
                code="http_401",
            )  # fmt: skip
        expires = float(data.get("expires_in") or 3600)
        self.ctx.cache[key] = (token, now + expires - 60)
        return str(token)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
    ) -> Any:
        """An API call with the bearer token; one retry with a fresh token after a 401."""
        for attempt in (0, 1):
            token = await self.token(refresh=attempt == 1)
            try:
                response = await self.http.request(
                    method, self.api_url + path, params={**(params or {}), "raw_json": 1},
                    headers={"Authorization": f"Bearer {token}"}, form=form,
                )  # fmt: skip
            except PermanentError as exc:
                if exc.code == "http_401" and attempt == 0:
                    continue
                raise
            return response.json()
        raise AssertionError("unreachable")
