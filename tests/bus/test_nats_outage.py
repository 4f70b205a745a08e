"""A NATS server that goes away mid-run: clear errors meanwhile, nothing lost after it returns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.builders import organisation, post
from tests.support.enricher import shared_enricher
from tests.support.nats import NATS_SERVER, OwnNats

from slusha.bus import open_bus
from slusha.errors import TransientError
from slusha.pipeline.ingest import submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.store.db import Database
from slusha.store.schema import Mention


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[OwnNats]:
    if not Path(NATS_SERVER).exists():
        pytest.skip("nats-server binary not installed")
    server = OwnNats(tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_worker_survives_a_nats_restart_without_losing_posts(
    db: Database, own_nats: OwnNats, clock
) -> None:
    organisation(db, clock=clock)
    bus = open_bus(own_nats.url, stream_prefix="OUTAGE")
    await bus.start()
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    worker = Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=20)
    await worker.start()
    await submit_posts(bus, [post(str(i), f"acme before {i}") for i in range(30)])
    await worker.run_once(timeout_seconds=2)

    own_nats.stop()
    with pytest.raises(TransientError) as info:
        await asyncio.wait_for(submit_posts(bus, [post("x", "acme during")]), 15)
    assert "NATS" in str(info.value)

    own_nats.start()  # same store directory: the stream and its unacked messages are back
    for _ in range(100):
        try:
            await submit_posts(bus, [post(str(i), f"acme after {i}") for i in range(30, 60)])
            break
        except TransientError:
            await asyncio.sleep(0.2)
    for _ in range(30):
        try:
            await worker.run_once(timeout_seconds=0.5)
        except TransientError:
            await asyncio.sleep(0.2)
        with db.transaction() as tx:
            if tx.session.scalar(select(func.count()).select_from(Mention)) >= 60:
                break
    await bus.close()
    with db.transaction() as tx:
        assert tx.session.scalar(select(func.count()).select_from(Mention)) == 60
