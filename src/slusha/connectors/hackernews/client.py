"""Calls to Algolia's HN Search API (hn.algolia.com/api) and the Firebase API (v0)."""

from __future__ import annotations

from typing import Any

from slusha.plugins.net import HttpClient


async def search_by_date(
    http: HttpClient,
    base_url: str,
    *,
    query: str,
    tags: str,
    after_epoch: int | None,
    page: int,
    hits_per_page: int,
) -> dict[str, Any]:
    """One page of ``search_by_date`` (newest first), optionally only after a time."""
    params: dict[str, Any] = {"query": query, "tags": tags, "page": page,
                              "hitsPerPage": hits_per_page}  # fmt: skip
    if after_epoch is not None:
        params["numericFilters"] = f"created_at_i>={after_epoch}"
    response = await http.request("GET", base_url.rstrip("/") + "/api/v1/search_by_date",
                                  params=params)  # fmt: skip
    data = response.json()
    return data if isinstance(data, dict) else {}


async def get_item(http: HttpClient, base_url: str, item_id: str) -> Any:
    """One item from the Firebase API (``null`` for an id that does not exist)."""
    response = await http.request("GET", f"{base_url.rstrip('/')}/v0/item/{item_id}.json")
    return response.json()
