"""The demo dealer page shows the dealership's own phone number (issue 15), read from the
dealership and written as people read it (contact_details.display_phone)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import update

from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.support.inprocess import InProcessServer


async def test_the_demo_page_header_shows_the_dealerships_own_phone(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    server = await serve_inprocess()
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = (await http.get("/")).text
        assert 'href="tel:+13125550142">Sales (312) 555-0142</a>' in page
        assert "010-0199" not in page

        # Whatever the dealership's number becomes, the page follows it.
        async with (
            open_database(server.database_url) as db,
            db.sessions() as session,
            session.begin(),
        ):
            demo = Dealership.slug == "demo-motors"
            await session.execute(update(Dealership).where(demo).values(phone="+13125550199"))
        page = (await http.get("/")).text
        assert 'href="tel:+13125550199">Sales (312) 555-0199</a>' in page
        assert "555-0142" not in page
