"""The visitor socket's widget additions against an in-process server: the theme, the opening
line and the server time in ``welcome``; the ``context`` frame (DealerChat.setContext and
identify)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Visitor
from chat_server.store.sites import SITE_TTL_S
from tests.support.clients import new_client_id, visitor
from tests.support.inprocess import InProcessServer


async def test_welcome_carries_theme_and_opening_and_context_updates_the_records(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--closed"
    )
    await server.admin("set-theme", "--dealership", "demo-motors", "--language", "es")
    shopper, welcome = await visitor(server.ws_url, server.url)
    dealership = welcome["dealership"]
    assert dealership["theme"] == {
        "color": "#b3121a",
        "logo_url": "",
        "position": "right",
        "language": "es",
    }
    # Closed with no hours at all: no opening line (the widget still says someone can help).
    assert dealership["open"] is False and dealership["opens_next"] is None
    assert datetime.fromisoformat(welcome["server_time"]).tzinfo is not None

    await shopper.send({"type": "message", "client_id": new_client_id(), "body": "Hola"})
    ack = await shopper.expect_keeping("ack")
    car = {"vin": "1FTFW1E50PFA00001", "year": "2023", "make": "Ford", "model": "F-150"}
    await shopper.send({"type": "context", "vehicle": car})
    await shopper.send(
        {"type": "context", "visitor": {"name": "Ana", "email": "ana@example.com", "phone": ""}}
    )
    await shopper.send({"type": "context", "visitor": {"email": "nope"}})
    error = await shopper.expect("error")
    assert error["code"] == "bad_field" and "email" in error["message"]
    await shopper.close()

    async with open_database(server.database_url) as db, db.sessions() as session:
        row = await session.get_one(Conversation, ack["conversation"])
        person = await session.scalar(select(Visitor).where(Visitor.id == row.visitor_id))
    assert row.vehicle == car
    assert person is not None and (person.name, person.email) == ("Ana", "ana@example.com")

    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    # Running nodes see a change made from the command line within SITE_TTL_S (their site-key
    # cache, chat_server/store/sites.py); the cache runs on the server's (fake) clock here.
    waited = 0.0
    while True:
        shopper, welcome = await visitor(server.ws_url, server.url)
        await shopper.close()
        if welcome["dealership"]["open"] or waited > SITE_TTL_S:
            break
        await server.advance(0.5)
        waited += 0.5
    assert welcome["dealership"]["open"] is True and welcome["dealership"]["opens_next"] is None
