"""Alert latency: from a post's ingest request to its alert arriving at a webhook receiver.

    .venv/bin/python bench/alerts.py [--backend sqlite|postgresql|both] [--rate 200]
                                     [--seconds 30] [--rules 100] [--batch 10]

Everything runs as the operator runs it, each part in its own process on 127.0.0.1:

- sqlite: one ``slusha serve`` (web with ``POST /api/v1/ingest``, pipeline worker, outbox relay,
  alerter) on a fresh SQLite file, memory bus;
- postgresql: ``slusha serve --role web``, ``slusha worker`` and ``slusha alerter`` as three
  processes on a fresh PostgreSQL database (created with psycopg, dropped afterwards) and the
  NATS bus (``SLUSHA_BUS_URL``, default nats://127.0.0.1:4222) with a stream prefix of this run
  (its streams deleted afterwards).

100 match rules watch 100 topics in 10 teams, each with a signed webhook channel to a receiver
in a separate process; every post mentions one topic, so every post fires one alert. The
benchmark posts ``--batch`` posts per request (bearer token of a webhook source) at ``--rate``
posts per second. Latency runs from just before a post's ingest request is sent to the moment
the receiver has read the alert's body. Prints p50/p99 and the ratio to the targets
(p50 < 500 ms, p99 < 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

TARGET_P50, TARGET_P99 = 0.5, 2.0
PG_ADMIN = os.environ.get("SLUSHA_BENCH_PG", "postgresql://127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("SLUSHA_BENCH_NATS", "nats://127.0.0.1:4222")
SLUSHA = [str(Path(sys.executable).parent / "slusha")]
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


def _setup(env: dict[str, str], rules: int, receiver_port: int, token: str) -> None:
    """Teams, topics, rules and the webhook source, written with the services (and migrations)."""
    from slusha.clock import SystemClock
    from slusha.config import load_settings
    from slusha.pipeline.runtime import open_database
    from slusha.plugins.host import PluginHost
    from slusha.services.alert_specs import RuleSpec
    from slusha.services.alerts import create_rule
    from slusha.services.sources import add_source
    from slusha.services.teams import create_team
    from slusha.services.topics import create_topic

    values = {
        k.removeprefix("SLUSHA_").lower(): v for k, v in env.items() if k.startswith("SLUSHA_")
    }
    settings = load_settings(environ={}, **values)
    clock = SystemClock()
    db = open_database(settings)
    host = PluginHost(settings=settings, clock=clock)
    teams = max(1, rules // 10)
    for t in range(teams):
        create_team(db, name=f"Team {t}", clock=clock)
    for r in range(rules):
        team = f"Team {r % teams}"
        create_topic(db, name=f"Brand {r}", team=team, query=f"brand{r}", clock=clock)
        create_rule(
            db,
            spec=RuleSpec(
                team=team,
                kind="match",
                topics=[f"Brand {r}"],
                throttle="100000/1h",
                channels=[f"webhook:http://127.0.0.1:{receiver_port}/in"],
            ),
            settings=settings,
            clock=clock,
            registry=host.registry,
        )

    async def source() -> None:
        async with host:
            await add_source(
                db, host=host, kind="webhook", name="bench", config={},
                secrets={"api_token": token},
            )  # fmt: skip

    asyncio.run(source())
    db.dispose()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    profile = os.environ.get("SLUSHA_BENCH_PROFILE")  # a folder: each process writes a cProfile
    if profile:
        out = Path(profile) / f"{'-'.join(args[1:])}.prof"
        runner = Path(profile) / "run_slusha.py"
        runner.write_text(
            "import sys\nfrom slusha.cli.main import main\nsys.argv[0] = 'slusha'\nmain()\n"
        )
        args = [sys.executable, "-m", "cProfile", "-o", str(out), str(runner), *args[1:]]
    handle = log.open("ab")
    return subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_ready(base: str, token: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with suppress(httpx.HTTPError):
                response = await client.get(f"{base}/signin", timeout=2.0)
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise RuntimeError(f"slusha serve did not answer on {base}")


async def _load(
    base: str, token: str, *, rate: int, seconds: float, rules: int, batch: int
) -> tuple[dict[str, float], float, int]:
    """Post at ``rate`` posts/s; returns {post id: send time}, wall seconds, refused requests."""
    sent: dict[str, float] = {}
    refused = 0
    interval = batch / rate
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    pending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def post(body: bytes) -> None:
            nonlocal refused
            try:
                response = await client.post("/api/v1/ingest", content=body, timeout=30.0)
                if response.status_code != 202:
                    refused += 1
            except httpx.HTTPError:
                refused += 1

        started = time.monotonic()
        number = 0
        next_at = started
        while time.monotonic() - started < seconds:
            posts = []
            for _ in range(batch):
                posts.append({
                    "network": "webhook", "id": f"p{number}",
                    "text": f"brand{number % rules} stopped working again for me, post {number}",
                    "created_at": datetime.now(UTC).isoformat(),
                    "author": {"handle": f"user{number % 500}", "followers": 100},
                })  # fmt: skip
                number += 1
            now = time.time()
            for p in posts:
                sent[p["id"]] = now
            task = asyncio.create_task(post(json.dumps(posts).encode()))
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        wall = time.monotonic() - started
        if pending:
            await asyncio.wait(pending)
    return sent, wall, refused


def _read_arrivals(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, at = line.split()
            out.setdefault(key.split(":", 1)[-1], float(at))
    return out


def _create_pg_database() -> str:
    import psycopg

    name = f"slusha_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _delete_streams(prefix: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(prefix + "_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


def run(
    backend: str, rate: int, seconds: float, rules: int, batch: int, workdir: Path
) -> dict[str, Any]:
    receiver_port, web_port = _free_port(), _free_port()
    arrivals_file = workdir / f"arrivals-{backend}.txt"
    log = workdir / f"slusha-{backend}.log"
    token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUSHA_")}
    env.update(
        SLUSHA_HOST="127.0.0.1", SLUSHA_PORT=str(web_port), SLUSHA_SECRET_KEY="bench-secret-key",
        SLUSHA_ALLOW_PRIVATE_NETWORKS="true",
    )  # fmt: skip
    database = prefix = None
    if backend == "sqlite":
        env.update(
            SLUSHA_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}", SLUSHA_BUS_URL="memory://"
        )
        commands = [[*SLUSHA, "serve"]]
    else:
        database = _create_pg_database()
        prefix = f"BENCH{os.getpid()}{secrets.token_hex(2).upper()}"
        env.update(
            SLUSHA_DATABASE_URL=f"postgresql://127.0.0.1:5432/{database}", SLUSHA_BUS_URL=NATS_URL,
            SLUSHA_BUS_STREAM_PREFIX=prefix,
        )  # fmt: skip
        commands = [[*SLUSHA, "serve", "--role", "web"], [*SLUSHA, "worker"], [*SLUSHA, "alerter"]]
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(receiver_port), str(arrivals_file)]
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _setup(env, rules, receiver_port, token)
        processes = [_start(c, env, log) for c in commands]
        base = f"http://127.0.0.1:{web_port}"
        asyncio.run(_wait_ready(base, token))
        time.sleep(3.0)  # worker and alerter subscribed (they start alongside the web server)
        sent, wall, refused = asyncio.run(
            _load(base, token, rate=rate, seconds=seconds, rules=rules, batch=batch)
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_read_arrivals(arrivals_file)) < len(sent):
            time.sleep(0.5)
        arrivals = _read_arrivals(arrivals_file)
    finally:
        for process in processes:
            _stop(process)
        receiver.terminate()
        receiver.wait()
        if prefix:
            with suppress(Exception):
                asyncio.run(_delete_streams(prefix))
        if database:
            _drop_pg_database(database)
    latencies = [arrivals[k] - t for k, t in sent.items() if k in arrivals]
    duplicates = (
        sum(1 for line in arrivals_file.read_text().splitlines()) - len(arrivals)
        if arrivals_file.exists()
        else 0
    )
    nan = float("nan")
    return {
        "backend": backend,
        "posts": len(sent),
        "rate": len(sent) / wall,
        "refused_requests": refused,
        "delivered": len(latencies),
        "duplicates": duplicates,
        "p50": _percentile(latencies, 0.5) if latencies else nan,
        "p99": _percentile(latencies, 0.99) if latencies else nan,
        "max": max(latencies) if latencies else nan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rate", type=int, default=200, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--batch", type=int, default=10, help="posts per ingest request")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(backend, args.rate, args.seconds, args.rules, args.batch, Path(tmp))
            if result["delivered"] < result["posts"]:
                print((Path(tmp) / f"slusha-{backend}.log").read_text()[-3000:], file=sys.stderr)
        print(json.dumps(result, indent=2))
        print(
            f"{backend}: p50 {result['p50'] * 1000:.0f} ms (ratio {result['p50'] / TARGET_P50:.2f} "
            f"of 500 ms), p99 {result['p99'] * 1000:.0f} ms "
            f"(ratio {result['p99'] / TARGET_P99:.2f} of 2 s), "
            f"{result['delivered']}/{result['posts']} delivered at "
            f"{result['rate']:.0f} posts/s offered"
        )


if __name__ == "__main__":
    main()
