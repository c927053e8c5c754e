"""Frames collected during a transaction and published to the broker after it commits,
with the metrics the transaction implies (counted only once it committed)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from chat_server.delivery.web_push import PushJob
from chat_server.observability.tally import Tally
from chat_server.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class PendingFrames:
    """Publishing before the commit could announce what a rollback then undoes."""

    frames: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    # Web Pushes to operators' phones (rings and their cancels), sent after the commit too.
    pushes: list[PushJob] = field(default_factory=list)

    def add(self, channel: str, frame: dict[str, Any]) -> None:
        self.frames.append((channel, frame))

    def push(self, job: PushJob) -> None:
        if job.operators:
            self.pushes.append(job)


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


async def publish(rt: Runtime, pending: PendingFrames) -> None:
    rt.metrics.record(pending.tally)
    if rt.push is not None:  # queued, never awaited: a slow push service holds up nothing
        for job in pending.pushes:
            rt.push.submit(job)
    # A ring goes to every rung operator as the same frame object: encode it once.
    encoded: dict[int, str] = {}
    for channel, frame in pending.frames:
        text = encoded.get(id(frame))
        if text is None:
            text = encoded[id(frame)] = encode(frame)
        try:
            await rt.hub.publish(channel, text)
        except Exception:  # a broker outage must not undo a committed step
            log.warning("publish to %s failed; clients resync from the database", channel)
