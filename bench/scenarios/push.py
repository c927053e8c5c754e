"""T5: a ring reaches salespeople's phones by Web Push (dealer-chat only; issue 13, item 7).

``phones`` salespeople are on shift with no console open: each registered one push
subscription at a loopback push service of the benchmark's own (bench/push_receiver.py),
chose "available" on a console socket and closed it. Then, one after another, a new shopper
sends a first message; t0 is read just before that ``message`` frame is sent, and t_i when
the push service has read the push for phone i (it answers 201 at once). The figure is the
distribution of t_i - t0 over every (ring, phone) pair, as T3's is over (ring, console).

Each ring's pushes are told apart by their ``Topic`` (the conversation id, known from the
shopper's ``ack``) and their endpoint (the phone); after the last ring every timed push is
decrypted with its phone's keys and counted only if it is that chat's ``ring``. A phone that
got no such push within ``TRIAL_TIMEOUT_S`` is missed.

Before the timed rings: setting up may itself ring the phones (a salesperson who comes on
shift is rung for the chats already waiting: on a server that ran T2/T3 those are the 50
oldest), so the scenario waits for the push service to go quiet, then rings once untimed
(the first push of a run opens the server's connections to the push service and signs its
VAPID token, which it then reuses for an hour). At the end the phones are removed, so rings
on this server afterwards reach consoles only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench.drivers.base import stamped
from bench.drivers.dealer_chat import DealerChatDriver
from bench.histogram import Latency
from bench.push_receiver import PushReceiver
from chat_server.protocol.push_payloads import topic_of

PREFIX = "p"
TRIAL_TIMEOUT_S = 10.0
ACK_TIMEOUT_S = 10.0
QUIET_S = 1.0  # the push service heard nothing for this long: set-up's pushes are done
SETTLE_TIMEOUT_S = 60.0


async def _ring(
    driver: DealerChatDriver, receiver: PushReceiver, trial: int, phones: int
) -> tuple[str, int]:
    """One new shopper's first message; (conversation id, t0) once every phone had a push."""
    shopper = await driver.visitor(f"push-shopper{trial}")
    try:
        t0 = time.monotonic_ns()
        acked = await driver.first_message(shopper, stamped(PREFIX, trial, t0), trial)
        ack = await asyncio.wait_for(acked, ACK_TIMEOUT_S)
        conversation = str(ack["conversation"])
        await receiver.wait_for(topic_of(conversation), phones, TRIAL_TIMEOUT_S)
        return conversation, t0
    finally:
        await shopper.close()


async def run_push(
    driver: DealerChatDriver,
    phones: int,
    trials: int,
    server_cpu: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Set up the phones, ring them ``trials`` times; ``server_cpu`` reads the server's CPU s."""
    async with PushReceiver() as receiver:
        subscriptions = [receiver.subscribe() for _ in range(phones)]
        set_up = time.monotonic()
        owners = await driver.phone_owners([s.info for s in subscriptions])
        settled_s = await receiver.settle(QUIET_S, SETTLE_TIMEOUT_S)
        setup_pushes = receiver.received
        warm_conversation, warm_t0 = await _ring(driver, receiver, -1, phones)
        setup_s = time.monotonic() - set_up
        await receiver.settle(QUIET_S / 4, SETTLE_TIMEOUT_S)
        rings: list[tuple[str, int]] = []
        cpu_before = server_cpu() if server_cpu else 0.0
        for trial in range(trials):
            rings.append(await _ring(driver, receiver, trial, phones))
            await asyncio.sleep(0.02)
        await receiver.settle(QUIET_S / 4, TRIAL_TIMEOUT_S)
        cpu_s = server_cpu() - cpu_before if server_cpu else None
        received, refused = receiver.received, receiver.refused
        errors: list[str] = []
        try:
            await driver.remove_phones(owners)
        except Exception as error:  # the figures stand; later rings may still reach phones
            errors.append(f"removing the phones: {type(error).__name__}: {error}"[:300])

    # Decrypted only now, long after every clock was read.
    warm_up = Latency()
    _record(receiver, warm_conversation, warm_t0, warm_up)
    latency, first, last = Latency(), Latency(), Latency()
    missed = not_a_ring = 0
    for conversation, t0 in rings:
        delays, wrong = _record(receiver, conversation, t0, latency)
        missed += phones - len(delays)
        not_a_ring += wrong
        if delays:
            first.record_ns(min(delays))
            last.record_ns(max(delays))
    return {
        "phones": len(owners),
        "trials": trials,
        "missed": missed,
        "not_a_ring": not_a_ring,
        **latency.summary(),
        # Per ring: when its first push arrived and when its last did (the spread is not the
        # whole fan-out: see bench/notes.md, T5).
        "first_phone": _brief(first),
        "last_phone": _brief(last),
        "server_cpu_ms_per_ring": None if cpu_s is None else round(1000 * cpu_s / trials, 1),
        "warm_up_ring": _brief(warm_up),
        "setup_s": round(setup_s, 2),
        "setup_pushes": setup_pushes,  # rings for chats already waiting, and their settling
        "setup_settled_s": round(settled_s, 2),
        "pushes_received": received,
        "pushes_refused": refused,
        "errors": errors,
    }


def _brief(latency: Latency) -> dict[str, Any]:
    summary = latency.summary()
    return {k: summary[k] for k in ("count", "p50_ms", "p99_ms", "max_ms")}


def _record(
    receiver: PushReceiver, conversation: str, t0: int, into: Latency
) -> tuple[list[int], int]:
    """Record one ring's delays into ``into``: (the delays in ns, pushes not this ring)."""
    delays: list[int] = []
    wrong = 0
    for token, arrival in receiver.by_topic.get(topic_of(conversation), {}).items():
        payload = arrival.payload(receiver.phones[token])
        if (
            isinstance(payload, dict)
            and payload.get("type") == "ring"
            and payload.get("conversation") == conversation
        ):
            into.record_ns(arrival.at_ns - t0)
            delays.append(arrival.at_ns - t0)
        else:
            wrong += 1
    return delays, wrong
