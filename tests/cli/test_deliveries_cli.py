"""``slusha deliveries``: list and send again; clear errors for wrong use."""

from __future__ import annotations

import json


def test_list_is_empty_and_retry_needs_ids_or_all_failed(slusha) -> None:
    listed = slusha("deliveries", "list", "--format", "json")
    assert listed.exit_code == 0 and json.loads(listed.output) == []
    neither = slusha("deliveries", "retry")
    assert neither.exit_code == 2 and "--all-failed" in neither.output
    unknown = slusha("deliveries", "retry", "4242")
    assert unknown.exit_code == 2 and "no failed delivery with id 4242" in unknown.output
    nothing = slusha("deliveries", "retry", "--all-failed")
    assert nothing.exit_code == 0 and "0 deliveries queued again" in nothing.output


def test_retry_names_a_failed_reply(slusha) -> None:
    unknown = slusha("deliveries", "retry", "--reply", "77")
    assert unknown.exit_code == 2 and "no failed delivery with id reply 77" in unknown.output
    both = slusha("deliveries", "retry", "--reply", "77", "--all-failed")
    assert both.exit_code == 2 and "--reply ID" in both.output
