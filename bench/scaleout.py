"""Scale-out: pipeline workers on PostgreSQL + NATS, one against two, in the same run.

    .venv/bin/python bench/scaleout.py [--posts 40000] [--workers 1 2]

For each worker count: a fresh PostgreSQL database and NATS stream prefix, 10 teams with 50
topics, ``--posts`` posts queued on the bus with ``slusha import --enqueue`` (every post
matches one topic), then that many ``slusha worker`` processes started together; the figure is
posts stored per second from the workers' start until the last post is stored (process start and
model loading included, as an operator sees it). Prints each figure and the ratio of two workers
to one. Needs PostgreSQL (``--postgres``) and NATS (``--nats``); this machine has two cores, so
two workers share them with the database and the NATS server.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.processes import SlushaProcess  # noqa: E402


def _database(admin_url: str) -> str:
    import psycopg

    name = "slusha_scaleout_" + uuid.uuid4().hex[:8]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return admin_url.rsplit("/", 1)[0] + "/" + name


def run(workers: int, posts: int, *, postgres: str, nats: str) -> float:
    with tempfile.TemporaryDirectory() as work:
        slusha = SlushaProcess(
            Path(work), database_url=_database(postgres), bus_url=nats,
            bus_stream_prefix="S" + uuid.uuid4().hex[:8].upper(),
        )  # fmt: skip
        for team in range(10):
            slusha.cli("teams", "add", f"Team {team}")
            for topic in range(5):
                n = team * 5 + topic
                slusha.cli("topics", "add", f"Brand {n}", "--team", f"Team {team}",
                           "--query", f"brand{n:03d}")  # fmt: skip
        lines = Path(work) / "posts.jsonl"
        with lines.open("w") as out:
            for i in range(posts):
                out.write(json.dumps({
                    "network": "import", "id": str(i), "created_at": "2026-11-27T08:00:00+00:00",
                    "text": f"brand{i % 50:03d} delivery was late again, order {i}",
                }) + "\n")  # fmt: skip
        slusha.cli("import", "--enqueue", str(lines))
        started = time.monotonic()
        processes = [slusha.spawn(["worker"]) for _ in range(workers)]
        try:
            while True:
                (count,) = slusha._query("SELECT count(*) FROM posts")[0]
                if count >= posts:
                    break
                if time.monotonic() - started > 900:
                    raise RuntimeError(f"only {count} of {posts} stored after 15 minutes")
                time.sleep(0.25)
            return posts / (time.monotonic() - started)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    figures = {}
    for workers in args.workers:
        figures[workers] = run(workers, args.posts, postgres=args.postgres, nats=args.nats)
        print(f"{workers} worker(s): {figures[workers]:,.0f} posts/s", flush=True)
    if 1 in figures and 2 in figures:
        print(f"two workers against one: ratio {figures[2] / figures[1]:.2f}")


if __name__ == "__main__":
    main()
