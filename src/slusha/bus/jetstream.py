"""NATS JetStream bus: durable pull consumers, dedup by ``Nats-Msg-Id``, batched async publish."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import nats
from nats.errors import ConnectionClosedError, NoServersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from slusha.bus.base import Bus, Message
from slusha.bus.codec import decode, encode
from slusha.errors import TransientError

CONNECT_TIMEOUT_SECONDS = 5
# A message a consumer took and did not acknowledge goes to another consumer after this long.
# Short, so that the work of a worker killed with ``kill -9`` moves on within seconds; a live
# worker holds its messages longer by reporting progress every third of it
# (``Message.in_progress``).
ACK_WAIT_SECONDS = 10
# Messages handed out and not yet acknowledged, across all workers of a consumer. At the
# default (1,000) one dead worker holding a batch stopped every other worker until the ack
# wait ran out; this leaves room for several workers' batches besides a dead one's.
MAX_ACK_PENDING = 50_000
PUBLISH_TIMEOUT_SECONDS = 5.0
DUPLICATE_WINDOW_SECONDS = 600
MAX_AGE_SECONDS = 7 * 24 * 3600


class JetStreamBus(Bus):
    """One stream per subject, named ``PREFIX_SUBJECT``; consumers are durable pull consumers."""

    def __init__(
        self, url: str, *, stream_prefix: str = "SLUSHA", ack_wait_seconds: float = ACK_WAIT_SECONDS
    ) -> None:
        self.url = url
        self.prefix = stream_prefix
        self.ack_wait_seconds = ack_wait_seconds
        self.progress_seconds = ack_wait_seconds / 3
        self._nc: Any = None
        self._js: Any = None
        self._subs: dict[tuple[str, str], Any] = {}

    def stream_name(self, subject: str) -> str:
        return f"{self.prefix}_{subject.split('.')[0].upper()}"

    def nats_subject(self, subject: str) -> str:
        return f"{self.prefix.lower()}.{subject}"

    async def start(self) -> None:
        try:
            # The client retries an unreachable server forever; bound the first connection.
            self._nc = await asyncio.wait_for(self._connect(), CONNECT_TIMEOUT_SECONDS)
        except (NoServersError, OSError, NatsTimeoutError, TimeoutError) as exc:
            raise TransientError(
                f"cannot reach the NATS server at {self.url} ({exc.__class__.__name__}: {exc}); "
                "start it (nats-server -js) or set SLUSHA_BUS_URL=memory://",
                code="bus_unreachable",
            ) from None
        self._js = self._nc.jetstream()
        for subject in ("posts.raw", "events"):
            await self._ensure_stream(subject)

    async def _connect(self) -> Any:
        return await nats.connect(
            self.url,
            connect_timeout=2,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            allow_reconnect=True,
            error_cb=_ignore_error,
            disconnected_cb=None,
        )

    async def _ensure_stream(self, subject: str) -> None:
        name = self.stream_name(subject)
        config = StreamConfig(
            name=name,
            subjects=[self.nats_subject(subject)],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=MAX_AGE_SECONDS,
        )
        try:
            await self._js.stream_info(name)
        except NotFoundError:
            await self._js.add_stream(config)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            # Every publish was acknowledged already; draining pull subscriptions only waits.
            with suppress(ConnectionClosedError, NatsTimeoutError, TimeoutError):
                await self._nc.flush(timeout=2)
            await self._nc.close()
        self._nc = None
        self._subs.clear()

    def _require(self) -> Any:
        if self._js is None:
            raise RuntimeError("JetStreamBus.start() was not called")
        return self._js

    async def publish(
        self, subject: str, data: dict[str, Any], *, msg_id: str | None = None
    ) -> None:
        js = self._require()
        payload = encode(data)
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        try:
            await js.publish(
                self.nats_subject(subject),
                payload,
                headers=headers,
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )
        except (NatsTimeoutError, TimeoutError, ConnectionClosedError, NoServersError) as exc:
            raise TransientError(
                f"NATS publish failed: {exc!r} (is the server at {self.url} reachable?)",
                code="bus_publish",
            ) from None

    async def publish_many(
        self, subject: str, items: Sequence[tuple[dict[str, Any], str | None]]
    ) -> None:
        """Publish without awaiting each ack; then wait for all acks at once."""
        js = self._require()
        nsubject = self.nats_subject(subject)
        futures = []
        try:
            for data, msg_id in items:
                payload = encode(data)
                headers = {"Nats-Msg-Id": msg_id} if msg_id else None
                futures.append(await js.publish_async(nsubject, payload, headers=headers))
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), PUBLISH_TIMEOUT_SECONDS
            )
        except (NatsTimeoutError, TimeoutError, ConnectionClosedError, NoServersError) as exc:
            raise TransientError(
                f"NATS publish failed: {exc!r} (is the server at {self.url} reachable?)",
                code="bus_publish",
            ) from None
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise TransientError(
                f"NATS did not acknowledge {len(failed)} of {len(results)} messages: {failed[0]!r}",
                code="bus_publish",
            )

    async def subscribe(self, subject: str, durable: str) -> None:
        key = (subject, durable)
        if key in self._subs:
            return
        js = self._require()
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_deliveries,
            max_ack_pending=MAX_ACK_PENDING,
            filter_subject=self.nats_subject(subject),
        )
        await self._update_consumer(subject, durable, config)
        self._subs[key] = await js.pull_subscribe(
            self.nats_subject(subject),
            durable=durable,
            stream=self.stream_name(subject),
            config=config,
        )

    async def _update_consumer(self, subject: str, durable: str, config: ConsumerConfig) -> None:
        """Give a consumer created by an older version the ack wait and limits of this one."""
        js = self._require()
        stream = self.stream_name(subject)
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            return
        current = info.config
        if (current.ack_wait, current.max_ack_pending) != (config.ack_wait, config.max_ack_pending):
            config.name = durable
            await js.add_consumer(stream, config=config)

    async def backlog(self, subject: str, durable: str) -> int | None:
        js = self._require()
        try:
            info = await js.consumer_info(self.stream_name(subject), durable)
        except NotFoundError:
            return None
        except (NatsTimeoutError, TimeoutError, ConnectionClosedError, NoServersError) as exc:
            raise TransientError(f"NATS consumer info failed: {exc!r}", code="bus_fetch") from None
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

    async def fetch(
        self, subject: str, durable: str, *, batch: int, timeout_seconds: float
    ) -> list[Message]:
        await self.subscribe(subject, durable)
        sub = self._subs[(subject, durable)]
        try:
            raw = await sub.fetch(batch, timeout=timeout_seconds)
        except (NatsTimeoutError, TimeoutError):
            return []
        except (ConnectionClosedError, NoServersError) as exc:
            raise TransientError(f"NATS fetch failed: {exc!r}", code="bus_fetch") from None
        messages = []
        for msg in raw:
            headers = msg.headers or {}
            try:
                attempt = int(msg.metadata.num_delivered)
            except (AttributeError, TypeError, ValueError):
                attempt = 1
            messages.append(
                Message(
                    subject,
                    decode(msg.data),
                    headers.get("Nats-Msg-Id"),
                    attempt,
                    msg.ack,
                    _nak_for(msg),
                    msg.in_progress,
                )
            )
        return messages


def _nak_for(msg: Any) -> Any:
    async def nak(delay_seconds: float) -> None:
        await msg.nak(delay=delay_seconds or None)

    return nak


async def _ignore_error(exc: Exception) -> None:
    # Connection errors surface through publish/fetch as TransientError; the client reconnects.
    return None
