"""Members' sentiment corrections, exported as training data for ``slusha.enrich.train``."""

from __future__ import annotations

from datetime import datetime

from slusha.enrich.corrections import Correction
from slusha.services.access import Principal, require
from slusha.store import corrections as store_corrections
from slusha.store.db import Database


def export_corrections(
    db: Database, *, principal: Principal | None = None, since: datetime | None = None
) -> list[Correction]:
    """The newest sentiment correction of each post, in the training-data format.

    ``principal`` None is the operator (the CLI): every post. A team's admin or manager gets
    the posts mentioned in their teams; other roles are refused.
    """
    team_ids: tuple[int, ...] | None = None
    if principal is not None:
        require(principal, "corrections.export")
        if not principal.is_admin:
            team_ids = tuple(
                sorted(t for t, role in principal.roles.items() if role in ("admin", "manager"))
            )
    with db.read() as tx:
        rows = store_corrections.latest_sentiment_labels(tx.session, since=since, team_ids=team_ids)
    return [Correction(text=text, lang=lang, label=label) for text, lang, label in rows]
