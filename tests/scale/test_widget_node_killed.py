"""``kill -9`` of the node holding the shopper's socket, with the real widget in Chromium.

Two nodes behind nginx (deploy/nginx/dealer-chat.conf); the widget on the demo page talks
through nginx, the salesperson's console is on the other node. Mid-chat, the widget's node is
killed with SIGKILL, while the shopper has just sent a line and the salesperson answers during
the outage. The widget must reconnect through nginx to the surviving node and resume: its
transcript, the console's and the database's are the same messages, in order, each once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Message
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, new_page, screenshot, shopper_says
from tests.scale.cluster import Cluster, cluster, seed_operators
from tests.scale.failure_kit import NO_VISITOR_LIMIT, Peer, open_console
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

LADDER = {"store_window": 60, "pool_window": 60, "grace": 60}
RESUME_BOUND_S = 15.0
EXPECTED = ["m1", "r1", "m2", "r2", "m3", "r3", "m4", "r4", "m5"]


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
def world(tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer) -> Iterator[Cluster]:
    database_url = pg.create_database("widget_node_killed")
    with cluster(tmp_path, database_url, redis_srv.url, 2, LADDER, env=NO_VISITOR_LIMIT) as running:
        yield running


async def transcript(page: Page) -> list[tuple[int, str, str]]:
    messages = page.locator("[data-dc=messages] [data-dc=message]")
    rows = []
    for i in range(await messages.count()):
        message = messages.nth(i)
        seq = await message.get_attribute("data-seq")
        kind = await message.get_attribute("data-kind")
        body = await message.locator(".body").inner_text()
        rows.append((int(seq or 0), kind or "", body))
    return rows


async def settled(page: Page, count: int, timeout_s: float = 20) -> None:
    """``count`` messages on screen, each acknowledged (it carries its seq)."""
    messages = page.locator("[data-dc=messages] [data-dc=message]")
    await expect(messages).to_have_count(count, timeout=timeout_s * 1000)
    await expect(page.locator("[data-dc=message][data-seq='']")).to_have_count(
        0, timeout=timeout_s * 1000
    )


def visitor_sockets(world: Cluster) -> list[int]:
    """How many visitor sockets each node has accepted (from its log)."""
    return [
        node.log_path.read_text().count('"WebSocket /ws/visitor') if node.log_path.exists() else 0
        for node in world.nodes
    ]


async def test_widget_survives_kill_of_its_node_through_nginx(
    world: Cluster, chromium: Browser, figures: Callable[[str], None]
) -> None:
    (email,) = await seed_operators(world.database_url, salespeople=1, receptionists=0)
    page = await new_page(chromium)
    await page.goto(world.nginx.url + "/")
    await page.click("[data-dc=launcher]")
    await page.locator("[data-dc=panel]").wait_for()
    end = time.monotonic() + 10
    while sum(visitor_sockets(world)) == 0 and time.monotonic() < end:
        await page.wait_for_timeout(50)
    counts = visitor_sockets(world)
    assert sum(counts) == 1, counts
    victim = counts.index(1)
    survivor = 1 - victim
    console = await open_console(world.nodes[survivor].url, email)

    await shopper_says(page, "m1 is the blue RAV4 still there?")
    ring = await console.expect("ring")
    conv = ring["conversation"]
    await console.send({"type": "accept", "conversation": conv})
    accepted = await console.expect("conversation", id=conv, state="connected")
    staff = Peer("operator", conv)
    staff.attach(console, accepted.get("messages", []))

    async def staff_says(n: int, body: str) -> None:
        frame = {"type": "message", "conversation": conv, "client_id": f"r{n}", "body": body}
        outcome = await staff.send(frame, 10)
        assert outcome.kind == "acked", outcome

    await staff_says(1, "r1 yes, it is on the lot")
    await settled(page, 2)
    await shopper_says(page, "m2 can I drive it today?")
    await settled(page, 3)
    await staff_says(2, "r2 sure, when suits you?")
    await settled(page, 4)

    # The crash: a line just sent (acked or not), then kill -9 of the widget's node.
    await shopper_says(page, "m3 around five")
    killed_at = time.monotonic()
    world.kill(victim)
    await staff_says(3, "r3 five works, see you then")  # said while the widget is cut off
    await expect(page.locator("[data-dc=conn]")).to_be_visible(timeout=5000)
    await shopper_says(page, "m4 typed while reconnecting")
    await settled(page, 7, RESUME_BOUND_S)
    resumed_s = time.monotonic() - killed_at
    await expect(page.locator("[data-dc=conn]")).to_be_hidden()
    await staff_says(4, "r4 after the crash")
    await shopper_says(page, "m5 thanks!")
    await settled(page, 9)
    shot = await screenshot(page, "widget-node-killed-resumed")

    async with open_database(world.database_url) as db, db.sessions() as session:
        stored = [
            tuple(row)
            for row in await session.execute(
                select(Message.seq, Message.author_kind, Message.body)
                .where(Message.conversation_id == conv)
                .order_by(Message.seq)
            )
        ]
    labels = [str(body).split()[0] for _, _, body in stored]
    assert sorted(labels) == sorted(EXPECTED), labels
    assert labels.index("m3") < labels.index("m4") < labels.index("m5"), labels
    assert [seq for seq, _, _ in stored] == list(range(1, 10))
    assert await transcript(page) == stored
    end = time.monotonic() + 5
    while len(staff.seqs()) < 9 and time.monotonic() < end:
        await page.wait_for_timeout(50)
    assert [(a.seq, a.body) for a in staff.arrivals] == [(s, b) for s, _, b in stored]
    counts_after = visitor_sockets(world)
    assert counts_after[survivor] >= 1, "the widget did not reconnect to the surviving node"
    figures(
        f"widget's node killed: widget resumed through nginx on the other node, queued line "
        f"acked {resumed_s:.2f} s after kill -9; transcript = DB = console: 9 messages, "
        f"none lost or doubled; screenshot {shot.name}"
    )
    await staff.close()
    await page.context.close()
