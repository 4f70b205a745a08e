"""Alert latency: from a post entering Slusha to its alert arriving at a webhook receiver.

    .venv/bin/python bench/alerts.py [--rate 200] [--seconds 30] [--rules 100]

Posts are put on the bus with ``slusha.pipeline.ingest.submit_posts`` (what the ingest webhook
does after verifying a request; ``slusha serve`` does not mount the web app yet) in a process
that runs the pipeline worker, the outbox relay and the alerter exactly as ``slusha serve`` does
(SQLite, memory bus). 100 match rules watch 100 topics in 10 teams; every post mentions one
topic, so every post fires one alert. A separate process receives the signed webhooks and
records arrival times. Prints p50/p99 ingest -> delivery latency and the ratio to the targets
(p50 < 500 ms, p99 < 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from slusha.clock import SystemClock
from slusha.config import load_settings
from slusha.pipeline.ingest import submit_posts
from slusha.pipeline.roles import build_worker, run_outbox_relay
from slusha.pipeline.runtime import Runtime
from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule
from slusha.services.teams import create_team
from slusha.services.topics import create_topic

TARGET_P50, TARGET_P99 = 0.5, 2.0
RECEIVER = r"""
import sys, time, json
import uvicorn
out = open(sys.argv[2], "a", buffering=1)
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    at = time.time()
    key = json.loads(body)["explanation"]["top_posts"][0]["key"]
    out.write(f"{key} {at}\n")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rate: int, seconds: float, rules: int, workdir: Path) -> dict[str, float]:
    port = _free_port()
    arrivals_file = workdir / "arrivals.txt"
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port), str(arrivals_file)])
    settings = load_settings(
        environ={},
        database_url=f"sqlite:///{workdir / 'bench.db'}",
        secret_key="bench-secret-key",
        allow_private_networks=True,
    )
    clock = SystemClock()
    runtime = Runtime.build(settings, clock=clock)
    await runtime.bus.start()
    teams = max(1, rules // 10)
    for t in range(teams):
        create_team(runtime.db, name=f"Team {t}", clock=clock)
    for r in range(rules):
        team = f"Team {r % teams}"
        create_topic(runtime.db, name=f"Brand {r}", team=team, query=f"brand{r}", clock=clock)
        create_rule(
            runtime.db,
            spec=RuleSpec(
                team=team,
                kind="match",
                topics=[f"Brand {r}"],
                throttle="100000/1h",
                channels=[f"webhook:http://127.0.0.1:{port}/in"],
            ),
            settings=settings,
            clock=clock,
        )
    runtime.pipeline.topics.refresh(force=True)
    from slusha.pipeline.alerter import run_alerter

    stop = asyncio.Event()
    worker = build_worker(runtime)
    await worker.start()
    tasks = [
        asyncio.create_task(worker.run(stop)),
        asyncio.create_task(run_outbox_relay(runtime, stop)),
        asyncio.create_task(run_alerter(runtime, stop)),
    ]
    await asyncio.sleep(2.0)  # receiver up, alerter subscribed
    sent: dict[str, float] = {}
    step = 0.05
    per_step = max(1, round(rate * step))
    started = time.monotonic()
    number = 0
    while time.monotonic() - started < seconds:
        tick = time.monotonic()
        batch = []
        for _ in range(per_step):
            brand = number % rules
            batch.append(
                {
                    "network": "mastodon",
                    "id": f"p{number}",
                    "text": f"brand{brand} stopped working again for me, post {number}",
                    "created_at": datetime.now(UTC).isoformat(),
                    "author": {"handle": f"user{number % 500}", "followers": 100},
                }
            )
            number += 1
        now = time.time()
        for post in batch:
            sent[f"mastodon:{post['id']}"] = now
        await submit_posts(runtime.bus, batch)
        await asyncio.sleep(max(0.0, step - (time.monotonic() - tick)))
    wall = time.monotonic() - started
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = arrivals_file.read_text().splitlines() if arrivals_file.exists() else []
        if len(lines) >= len(sent):
            break
        await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runtime.close()
    receiver.terminate()
    receiver.wait()
    latencies = []
    for line in arrivals_file.read_text().splitlines():
        key, at = line.split()
        if key in sent:
            latencies.append(float(at) - sent[key])
    return {
        "posts": len(sent),
        "rate": len(sent) / wall,
        "delivered": len(latencies),
        "p50": _percentile(latencies, 0.5) if latencies else float("nan"),
        "p99": _percentile(latencies, 0.99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rules", type=int, default=100)
    args = parser.parse_args()
    os.environ.pop("SLUSHA_DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.rate, args.seconds, args.rules, Path(tmp)))
    print(json.dumps(result, indent=2))
    print(
        f"p50 {result['p50'] * 1000:.0f} ms (ratio {result['p50'] / TARGET_P50:.2f} of 500 ms), "
        f"p99 {result['p99'] * 1000:.0f} ms (ratio {result['p99'] / TARGET_P99:.2f} of 2 s), "
        f"{result['delivered']}/{result['posts']} delivered at {result['rate']:.0f} posts/s"
    )


if __name__ == "__main__":
    main()
