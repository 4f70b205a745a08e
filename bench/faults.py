"""The fault suite: Slusha killed and stopped mid-stream, and whether the accounts balance.

Each scenario runs real ``slusha`` processes on loopback, pushes posts through the ingest API
from four senders, does something bad to a process, restarts it, lets every sender that got no
answer send again (as real senders do), and then counts:

- lost: posts answered with 202 that are not stored (must be 0);
- duplicate mentions: mentions beyond one per stored post (must be 0);
- seconds: how long the stop took (SIGTERM) or until everything was stored again (restarts).

Scenarios: the embedded default (``slusha serve``, SQLite, in-process bus) killed with
``kill -9`` and stopped with SIGTERM; a feed fetched and the process killed before it stored the
posts; SQLite's file unable to grow (a full disk, by a file-size limit), then space freed; a
reply's sender killed while the network held the reply (the loopback Mastodon server counts
what it published); and, when PostgreSQL and NATS are reachable, the scaled-out roles
(``serve --role web``, two ``slusha worker``, ``slusha connectors``) with a worker, the web role
and the connectors role killed, and with NATS and PostgreSQL (a server of the suite's own)
restarted.

Run: ``python bench/faults.py [--posts-per-sender N]``. It prints a table; there is no speed
target, so the ratio column is lost posts against the target of 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from tests.support.mastodon_server import MastodonServer  # noqa: E402
from tests.support.nats import NATS_SERVER, OwnNats  # noqa: E402
from tests.support.origin import Reply, serve_origin  # noqa: E402
from tests.support.postgres import OwnPostgres  # noqa: E402
from tests.support.processes import Senders, SlushaProcess, free_port, push  # noqa: E402

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
    with serve_origin() as origin:
        origin.route(
            "/feed.xml", Reply(body=_feed(items), headers={"Content-Type": "application/rss+xml"})
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


def _postgres_database(server: str = POSTGRES) -> str | None:
    try:
        import psycopg

        name = "slusha_faults_" + uuid.uuid4().hex[:8]
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return server.rsplit("/", 1)[0] + "/" + name
    except Exception:
        return None


def _cluster(work: Path, server: str, **settings: str) -> tuple[SlushaProcess, OwnNats] | None:
    """A fresh database on ``server`` and a NATS server of its own, or None without them."""
    database = _postgres_database(server)
    if database is None or not Path(NATS_SERVER).exists():
        return None
    nats = OwnNats(work / "jetstream")
    nats.start()
    url = f"nats://127.0.0.1:{nats.port}"
    return SlushaProcess(work, database_url=database, bus_url=url, **settings), nats


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each role and wait for it to drain."""
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


CLUSTER_FAULTS = {
    "worker": "cluster: kill -9 one of two workers, restart",
    "web": "cluster: kill -9 the web role, restart",
    "nats": "cluster: NATS restarted mid-stream",
    "postgres": "cluster: PostgreSQL restarted mid-stream",
}


def cluster(work: Path, per_sender: int, fault: str) -> Row | None:
    """The web role and two workers as separate processes on PostgreSQL and NATS."""
    own_pg = None
    if fault == "postgres":
        try:
            own_pg = OwnPostgres()
            own_pg.start()
        except RuntimeError:
            return None
    started_cluster = _cluster(work, own_pg.url if own_pg else POSTGRES)
    if started_cluster is None:
        if own_pg is not None:
            own_pg.remove()
        return None
    slusha, nats = started_cluster
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
        elif fault == "web":
            slusha.kill()
            senders.join()
            slusha.start(("serve", "--role", "web"))
        elif fault == "postgres":
            assert own_pg is not None
            own_pg.restart(down_seconds=3)
        else:
            nats.stop()
            time.sleep(3)
            nats.start()
        senders.finish()
        senders.resend(slusha.url)
        _settle(slusha, senders.sent())
        seconds = time.monotonic() - started
        row = _row(CLUSTER_FAULTS[fault], slusha, senders, seconds,
                   "seconds: fault until all stored")  # fmt: skip
        _stop(workers)
        slusha.terminate()
        return row
    finally:
        nats.stop()
        if own_pg is not None:
            own_pg.remove()


def cluster_connectors_kill(work: Path, items: int) -> Row | None:
    """``slusha connectors`` killed right after it fetched a feed, then started again."""
    started_cluster = _cluster(work, POSTGRES, allow_private_networks="true")
    if started_cluster is None:
        return None
    slusha, nats = started_cluster
    try:
        with serve_origin() as origin:
            origin.route(
                "/feed.xml",
                Reply(body=_feed(items), headers={"Content-Type": "application/rss+xml"}),
            )
            slusha.organisation()
            slusha.cli("sources", "add", "rss", "--name", "Acme feed", "--url",
                       origin.url("/feed.xml"))  # fmt: skip
            workers = [slusha.spawn(["worker"]) for _ in range(2)]
            connectors = slusha.spawn(["connectors"])
            deadline = time.monotonic() + 60
            while not origin.hits("/feed.xml") and time.monotonic() < deadline:
                time.sleep(0.005)
            connectors.kill()
            connectors.wait()
            started = time.monotonic()
            connectors = slusha.spawn(["connectors"])
            want = {f"item-{i}" for i in range(items)}
            while time.monotonic() - started < 300:
                if len({_item(i) for i in slusha.stored_ids()} & want) == items:
                    break
                time.sleep(0.2)
            seconds = time.monotonic() - started
            stored = len({_item(i) for i in slusha.stored_ids()} & want)
            mentions, posts = slusha.mention_count()
            _stop([*workers, connectors])
        return Row(
            "cluster: kill -9 the connectors role after a fetch, restart",
            items,
            stored,
            items - stored,
            mentions - posts,
            seconds,
            "seconds: restart until all stored (the killed poll's claim runs out first)",
        )
    finally:
        nats.stop()


def _role(url: str, task: str) -> str | None:
    try:
        tasks = httpx.get(f"{url}/readyz", timeout=2).json()["tasks"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    return next((t.get("role") for t in tasks if t["name"] == task), None)


def cluster_alerter_kill(work: Path, per_sender: int) -> Row | None:
    """Two alerters (one leads, one stands by) and a webhook alert per mention; the leader is
    killed mid-stream. Counts the alerts decided against the delivery ids the receiver got."""
    started_cluster = _cluster(work, POSTGRES, allow_private_networks="true")
    if started_cluster is None:
        return None
    slusha, nats = started_cluster
    processes = []
    try:
        with serve_origin() as origin:
            origin.route("/in", Reply(200), method="POST")
            slusha.organisation()
            slusha.cli(
                "alerts",
                "add",
                "--team",
                "Care",
                "--kind",
                "match",
                "--topic",
                "Acme",
                "--throttle",
                "1000000/1h",
                "--channel",
                f"webhook:{origin.url('/in')}",
            )
            slusha.start(("serve", "--role", "web"))
            processes.append(slusha.spawn(["worker"]))
            ports = [free_port(), free_port()]
            alerters = [slusha.spawn(["alerter"], SLUSHA_OPS_PORT=str(p)) for p in ports]
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            deadline = time.monotonic() + 90
            while "leader" not in {_role(u, "alerter") for u in urls}:
                if time.monotonic() > deadline:
                    raise RuntimeError("no alerter leads")
                time.sleep(0.2)
            leader = next(i for i, u in enumerate(urls) if _role(u, "alerter") == "leader")
            senders = Senders(slusha.url, per_sender=per_sender).start()
            senders.wait_for(per_sender)
            started = time.monotonic()
            alerters[leader].kill()
            alerters[leader].wait()
            senders.finish()
            senders.resend(slusha.url)
            _settle(slusha, senders.sent())
            want: set[str] = set()
            received: list[str] = []
            while time.monotonic() - started < 300:
                want = {r[0] for r in slusha._query(
                    "SELECT alert_key FROM alerts WHERE verdict = 'send'")}  # fmt: skip
                received = [h.headers.get("x-slusha-delivery", "") for h in origin.hits("/in")]
                if len(want) >= len(senders.sent()) and want <= set(received):
                    break
                time.sleep(0.5)
            seconds = time.monotonic() - started
            processes.extend(alerters)
        got = set(received) & want
        note = (
            f"alerts decided: {len(want):,}, delivery ids received: {len(got):,}, "
            f"repeats: {len(received) - len(set(received))} (at-least-once, the receiver "
            "drops them by id); seconds: kill until every alert received"
        )
        row = Row("cluster: kill -9 the leading alerter mid-stream (standby takes over)",
                  len(want), len(got), len(want - got), 0, seconds, note)  # fmt: skip
        _stop(processes)
        slusha.terminate()
        return row
    finally:
        nats.stop()


def embedded_disk_full(work: Path, per_sender: int) -> Row:
    """SQLite's file may not grow (a full disk); then space is freed and Slusha restarted."""
    slusha = SlushaProcess(work)
    slusha.organisation()
    room = 2 * 1024 * 1024
    size = max(p.stat().st_size for p in work.glob("slusha.db*"))
    slusha.start(file_size_limit=size + room)
    senders = Senders(slusha.url, per_sender=per_sender).start()
    senders.finish()  # each sender stops at its first refusal (503: not stored)
    alive = slusha.process is not None and slusha.process.poll() is None
    lost_while_full = len(senders.accepted - slusha.stored_ids())
    slusha.terminate()
    started = time.monotonic()
    slusha.start()  # space freed
    senders.resend(slusha.url)
    _settle(slusha, senders.sent())
    seconds = time.monotonic() - started
    slusha.terminate()
    refused = sum(len(items) for items in senders.unanswered)
    note = (
        f"refused with 503 while full: {refused}; serve still running when full: "
        f"{'yes' if alive else 'no'}; seconds: restart until all stored"
    )
    return _row("embedded: SQLite disk full mid-stream, space freed, restart", slusha, senders,
                seconds, note, lost_while_full)  # fmt: skip


def embedded_reply_kill(work: Path) -> Row:
    """A reply in flight when its sender is killed; the inbox role sends it again: once."""
    with serve_origin() as origin:
        network = MastodonServer(origin, slow_first=True, delay_seconds=20)
        origin.route("/api/v1/statuses", network.handle, method="POST")
        origin.route("/api/v1/timelines/tag/acme", Reply(body=b"[]"))
        slusha = SlushaProcess(work, allow_private_networks="true")
        slusha.organisation()
        slusha.cli("users", "add", "ana", "--role", "responder", "--team", "Care")
        slusha.cli("sources", "add", "mastodon", "--name", "acme on mastodon", "--set",
                   f"instance_url={origin.url('')}", "--set", "timeline=hashtag", "--set",
                   "hashtag=acme", "--secret", "access_token=" + "t" * 20)  # fmt: skip
        slusha.start()
        post = {
            "network": "mastodon",
            "id": "113",
            "text": "acme, my order never came",
            "created_at": "2026-12-08T08:00:00Z",
            "author": {"handle": "maja"},
            "extra": {"instance": "127.0.0.1", "local_id": "113"},
        }
        with httpx.Client(timeout=60) as client:
            push(client, slusha.url, [post])
        (mention_id,) = (row[0] for row in slusha._query("SELECT id FROM mentions"))
        reply = slusha.spawn(["inbox", "reply", str(mention_id), "--user", "ana", "--text",
                              "Sorry Maja, we are on it."])  # fmt: skip
        deadline = time.monotonic() + 60
        while not origin.hits("/api/v1/statuses") and time.monotonic() < deadline:
            time.sleep(0.01)
        reply.kill()  # the network has the status; the sender never heard back
        reply.wait()
        started = time.monotonic()
        while time.monotonic() - started < 180:
            rows = slusha._query("SELECT status FROM replies")
            if rows and rows[0][0] == "sent":
                break
            time.sleep(0.5)
        seconds = time.monotonic() - started
        status = slusha._query("SELECT status FROM replies")[0][0]
        slusha.terminate()
    published = len(network.created)
    requests = len(origin.hits("/api/v1/statuses"))
    return Row("embedded: kill -9 while a reply is in flight; resent by the inbox role", 1,
               published, 0 if status == "sent" else 1, published - 1, seconds,
               f"statuses published: {published} (target 1), requests: {requests}, reply "
               f"{status}; seconds: kill until recorded as sent")  # fmt: skip


def _feed(items: int) -> bytes:
    feed = "".join(
        f"<item><guid>item-{i}</guid><title>acme {i}</title><description>acme news {i}"
        "</description><pubDate>Thu, 26 Nov 2026 10:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title>'
    return f"{head}{feed}</channel></rss>".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts-per-sender", type=int, default=2000)
    args = parser.parse_args()
    per_sender = args.posts_per_sender
    scenarios: list[Callable[[Path], Row | None]] = [
        lambda w: embedded_kill(w, per_sender),
        lambda w: embedded_sigterm(w, per_sender),
        lambda w: embedded_feed_kill(w, 2000),
        lambda w: embedded_disk_full(w, per_sender),
        lambda w: embedded_reply_kill(w),
        lambda w: cluster(w, per_sender, "worker"),
        lambda w: cluster(w, per_sender, "web"),
        lambda w: cluster_alerter_kill(w, min(per_sender, 500)),
        lambda w: cluster_connectors_kill(w, 2000),
        lambda w: cluster(w, per_sender, "nats"),
        lambda w: cluster(w, per_sender, "postgres"),
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
