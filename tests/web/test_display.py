"""Small display helpers of the page templates."""

from __future__ import annotations

import pytest

from slusha.web.deps import at_handle


@pytest.mark.parametrize(
    ("handle", "shown"),
    [
        ("maja@social.example", "@maja@social.example"),
        ("@maja@social.example", "@maja@social.example"),  # some networks send the @ already
        ("alice.bsky.social", "@alice.bsky.social"),
        (None, "@?"),
        ("", "@?"),
        ("@", "@?"),
    ],
)
def test_a_handle_is_shown_with_exactly_one_at(handle: str | None, shown: str) -> None:
    assert at_handle(handle) == shown
