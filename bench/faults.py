"""The fault suite: Slusha killed and stopped mid-stream, and whether the accounts balance.

Each scenario runs real ``slusha`` processes on loopback, pushes posts through the ingest API
from four senders, does something bad to a process, restarts it, lets every sender that got no
answer send again (as real senders do), and then counts:

- lost: posts answered with 202 that are not stored (must be 0);
- duplicate mentions: mentions beyond one per stored post (must be 0);
- seconds: how long the stop took (SIGTERM) or until everything was stored again (restarts).

Scenarios: the embedded default (``slusha serve``, SQLite, in-process bus) killed with
``kill -9`` and stopped with SIGTERM; a feed fetched and the process killed before it stored the
posts; and, when PostgreSQL and NATS are reachable, the scaled-out roles (``serve --role web``
and two ``slusha worker`` processes) with a worker killed, and with NATS itself restarted.

Run: ``python bench/faults.py [--posts-per-sender N]``. It prints a table; there is no speed
target, so the ratio column is lost posts against the target of 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.nats import NATS_SERVER, OwnNats  # noqa: E402
from tests.support.origin import Reply, serve_origin  # noqa: E402
from tests.support.processes import Senders, SlushaProcess  # noqa: E402

POSTGRES = os.environ.get(
    "SLUSHA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Row:
    scenario: str
    accepted: int
    stored: int
    lost: int
    duplicates: int
    seconds: float
    note: str = ""


def _settle(slusha: SlushaProcess, want: set[str], timeout_seconds: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_seconds:
        if want <= slusha.stored_ids():
            break
        time.sleep(0.2)
    return time.monotonic() - started


def _row(name: str, slusha: SlushaProcess, senders: Senders, seconds: float, note: str = "",
         lost_at_crash: int | None = None) -> Row:  # fmt: skip
    stored = slusha.stored_ids()
    mentions, posts = slusha.mention_count()
    lost = len(senders.accepted - stored) if lost_at_crash is None else lost_at_crash
    return Row(name, len(senders.accepted), len(stored & senders.sent()), lost,
               mentions - posts, seconds, note)  # fmt: skip


def embedded_kill(work: Path, per_sender: int) -> Row:
    slusha = SlushaProcess(work)
    slusha.organisation()
    slusha.start()
    senders = Senders(slusha.url, per_sender=per_sender).start()
    senders.wait_for(per_sender)  # a quarter of the stream
    slusha.kill()
    senders.join()
    lost_at_crash = len(senders.accepted - slusha.stored_ids())
    started = time.monotonic()
    slusha.start()
    senders.resend(slusha.url)
    _settle(slusha, senders.sent())
    seconds = time.monotonic() - started
    slusha.terminate()
    return _row("embedded: kill -9 serve mid-stream, restart", slusha, senders, seconds,
                "seconds: restart until all stored", lost_at_crash)  # fmt: skip


def embedded_sigterm(work: Path, per_sender: int) -> Row:
    slusha = SlushaProcess(work)
    slusha.organisation()
    slusha.start()
    senders = Senders(slusha.url, per_sender=per_sender).start()
    senders.wait_for(per_sender)
    seconds = slusha.terminate()
    senders.join()
    lost = len(senders.accepted - slusha.stored_ids())
    slusha.start()
    senders.resend(slusha.url)
    _settle(slusha, senders.sent())
    slusha.terminate()
    return _row("embedded: SIGTERM serve mid-stream", slusha, senders, seconds,
                "seconds: SIGTERM until exit", lost)  # fmt: skip


def _item(external_id: str) -> str:
    """``item-7`` of an RSS post id (the guid, resolved against the feed's URL)."""
    return external_id.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def embedded_feed_kill(work: Path, items: int) -> Row:
    """A feed of ``items`` fetched, the process killed before it stored them, restarted."""
    feed = "".join(
        f"<item><guid>item-{i}</guid><title>acme {i}</title><description>acme news {i}"
        "</description><pubDate>Thu, 26 Nov 2026 10:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title>'
    body = f"{head}{feed}</channel></rss>"
    with serve_origin() as origin:
        origin.route(
            "/feed.xml", Reply(body=body.encode(), headers={"Content-Type": "application/rss+xml"})
        )
        slusha = SlushaProcess(work, allow_private_networks="true")
        slusha.organisation()
        slusha.cli("sources", "add", "rss", "--name", "Acme feed", "--url", origin.url("/feed.xml"))
        slusha.start()
        deadline = time.monotonic() + 60
        while not origin.hits("/feed.xml") and time.monotonic() < deadline:
            time.sleep(0.005)
        slusha.kill()  # right after the fetch
        at_crash = len(slusha.stored_ids())
        cursor = slusha._query("SELECT cursor FROM sources WHERE name = 'Acme feed'")[0][0]
        cursor = None if cursor in (None, "null") else cursor
        started = time.monotonic()
        slusha.start()
        want = {f"item-{i}" for i in range(items)}
        while time.monotonic() - started < 300:  # the killed poll's claim runs out first
            if len({_item(i) for i in slusha.stored_ids()} & want) == items:
                break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        stored = len({_item(i) for i in slusha.stored_ids()} & want)
        mentions, posts = slusha.mention_count()
        slusha.terminate()
    saved = "yes" if cursor else "no"
    note = (f"stored at the kill: {at_crash}; cursor saved at the kill: {saved}; seconds: "
            "restart until all stored (the killed poll's claim runs out first)")  # fmt: skip
    return Row("embedded: feed fetched, kill -9 before stored", items, stored, items - stored,
               mentions - posts, seconds, note)  # fmt: skip


def _postgres_database() -> str | None:
    try:
        import psycopg

        name = "slusha_faults_" + uuid.uuid4().hex[:8]
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return POSTGRES.rsplit("/", 1)[0] + "/" + name
    except Exception:
        return None


def cluster(work: Path, per_sender: int, fault: str) -> Row | None:
    database = _postgres_database()
    if database is None or not Path(NATS_SERVER).exists():
        return None
    nats = OwnNats(work / "jetstream")
    nats.start()
    slusha = SlushaProcess(work, database_url=database, bus_url=f"nats://127.0.0.1:{nats.port}")
    try:
        slusha.organisation()
        slusha.start(("serve", "--role", "web"))
        workers = [slusha.spawn(["worker"]) for _ in range(2)]
        senders = Senders(slusha.url, per_sender=per_sender).start()
        senders.wait_for(per_sender)
        started = time.monotonic()
        if fault == "worker":
            workers[0].kill()
            workers[0].wait()
            time.sleep(2)
            workers[0] = slusha.spawn(["worker"])
        else:
            nats.stop()
            time.sleep(3)
            nats.start()
        senders.finish()
        senders.resend(slusha.url)
        _settle(slusha, senders.sent())
        seconds = time.monotonic() - started
        name = ("cluster: kill -9 one of two workers, restart" if fault == "worker"
                else "cluster: NATS restarted mid-stream")  # fmt: skip
        row = _row(name, slusha, senders, seconds, "seconds: fault until all stored")
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        slusha.terminate()
        return row
    finally:
        nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts-per-sender", type=int, default=2000)
    args = parser.parse_args()
    per_sender = args.posts_per_sender
    scenarios: list[Callable[[Path], Row | None]] = [
        lambda w: embedded_kill(w, per_sender),
        lambda w: embedded_sigterm(w, per_sender),
        lambda w: embedded_feed_kill(w, 2000),
        lambda w: cluster(w, per_sender, "worker"),
        lambda w: cluster(w, per_sender, "nats"),
    ]
    rows = []
    for scenario in scenarios:
        with tempfile.TemporaryDirectory() as work:
            row = scenario(Path(work))
        if row is None:
            print("(skipped: PostgreSQL or NATS not reachable)")
            continue
        rows.append(row)
        print(f"{row.scenario}: accepted {row.accepted}, stored {row.stored}, lost {row.lost}, "
              f"duplicate mentions {row.duplicates}, {row.seconds:.1f} s", flush=True)  # fmt: skip
    print()
    print("| scenario | accepted | stored | lost (target 0) | duplicate mentions (target 0) "
          "| s | note |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r.scenario} | {r.accepted:,} | {r.stored:,} | {r.lost} | {r.duplicates} | "
              f"{r.seconds:.1f} | {r.note} |")  # fmt: skip
    if any(r.lost or r.duplicates for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
