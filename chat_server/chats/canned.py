"""Canned replies: saved answers with {dealership}, {agent} and {vehicle} placeholders."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import CannedReply

PLACEHOLDER = re.compile(r"\{(dealership|agent|vehicle)\}")


def describe_vehicle(vehicle: dict[str, Any] | None) -> str:
    """ "2024 Toyota RAV4 XLE", or "the vehicle" when the page named none."""
    if not vehicle:
        return "the vehicle"
    words = [str(vehicle[k]) for k in ("year", "make", "model", "trim") if vehicle.get(k)]
    return " ".join(words) or "the vehicle"


def fill(template: str, *, dealership: str, agent: str, vehicle: dict[str, Any] | None) -> str:
    """Replace the three known placeholders; any other braces are left as written."""
    values = {"dealership": dealership, "agent": agent, "vehicle": describe_vehicle(vehicle)}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


async def canned_replies(session: AsyncSession, dealership_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(CannedReply)
        .where(CannedReply.dealership_id == dealership_id)
        # The order the manager set (settings); replies saved before positions existed all
        # share 0 and keep their alphabetical order.
        .order_by(CannedReply.position, CannedReply.title, CannedReply.id)
    )
    return [{"id": r.id, "title": r.title, "body": r.body} for r in rows]
