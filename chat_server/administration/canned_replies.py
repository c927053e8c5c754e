"""A dealership's canned replies: add, edit, remove and reorder, with the placeholders checked.

A reply may use ``{dealership}``, ``{agent}`` and ``{vehicle}``, which the console fills in
(chat_server/chats/canned.py ``PLACEHOLDER``). Anything else in braces would reach the shopper
as written, so it is refused here, naming the placeholder that is not known. The console
lists the replies by ``position`` (then title, for replies saved before positions existed).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_for
from chat_server.store.models import CannedReply

# The placeholders the console fills in; chats/canned.py's PLACEHOLDER names the same three
# (tests/administration/test_canned.py holds them equal).
PLACEHOLDERS = ("dealership", "agent", "vehicle")
TITLE_MAX = 80
BODY_MAX = 2000
DIRECTIONS = ("up", "down")

_BRACED = re.compile(r"\{([^{}]*)\}")
_KNOWN = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def check_placeholders(body: str) -> None:
    """Refuse a body with an unknown ``{placeholder}`` or a brace that is not closed."""
    unknown = [name for name in _BRACED.findall(body) if name not in PLACEHOLDERS]
    if unknown:
        names = ", ".join(dict.fromkeys("{" + name + "}" for name in unknown))
        raise SettingsError(f"Unknown placeholder {names}: a reply may use only {_KNOWN}.", "body")
    rest = _BRACED.sub("", body)
    if "{" in rest or "}" in rest:
        raise SettingsError(
            f"A brace is not closed: write placeholders whole, as {_KNOWN}.", "body"
        )


def checked_reply(title: str, body: str) -> tuple[str, str]:
    """The title (whitespace collapsed) and body (line ends normalised), or SettingsError."""
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not title:
        raise SettingsError("Give the reply a title.", "title")
    if len(title) > TITLE_MAX:
        raise SettingsError(f"A title has at most {TITLE_MAX} characters.", "title")
    if not body:
        raise SettingsError("Write the reply's text.", "body")
    if len(body) > BODY_MAX:
        raise SettingsError(
            f"A reply has at most {BODY_MAX} characters ({len(body)} given).", "body"
        )
    check_placeholders(body)
    return title, body


def _view(row: CannedReply) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "body": row.body, "position": row.position}


async def _ordered(session: AsyncSession, dealership_id: int) -> list[CannedReply]:
    return list(
        await session.scalars(
            select(CannedReply)
            .where(CannedReply.dealership_id == dealership_id)
            .order_by(CannedReply.position, CannedReply.title, CannedReply.id)
        )
    )


async def _reply_of(session: AsyncSession, dealership_id: int, reply_id: int) -> CannedReply:
    row = await session.get(CannedReply, reply_id)
    if row is None or row.dealership_id != dealership_id:
        raise NotInScope(f"canned reply {reply_id}")
    return row


def _target(row: CannedReply) -> str:
    return f"canned reply {row.id} ({row.title})"


async def list_replies(
    session: AsyncSession, actor: Actor, dealership_id: int
) -> list[dict[str, Any]]:
    """The dealership's replies in the order the console lists them."""
    await dealership_for(session, actor, dealership_id)
    return [_view(row) for row in await _ordered(session, dealership_id)]


async def add_reply(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    title: str,
    body: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A new reply, listed last."""
    await dealership_for(session, actor, dealership_id)
    title, body = checked_reply(title, body)
    rows = await _ordered(session, dealership_id)
    row = CannedReply(
        dealership_id=dealership_id,
        title=title,
        body=body,
        position=max((r.position for r in rows), default=-1) + 1,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "canned.add",
        target=_target(row),
        dealership_id=dealership_id,
        at=at,
        changes=audit.diff({}, {"title": title, "body": body}),
    )
    return _view(row)


async def edit_reply(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    reply_id: int,
    *,
    title: str,
    body: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    await dealership_for(session, actor, dealership_id)
    row = await _reply_of(session, dealership_id, reply_id)
    title, body = checked_reply(title, body)
    before = {"title": row.title, "body": row.body}
    row.title, row.body = title, body
    changes = audit.diff(before, {"title": title, "body": body})
    if changes:
        await audit.record(
            session,
            actor,
            "canned.edit",
            target=_target(row),
            dealership_id=dealership_id,
            at=at,
            changes=changes,
        )
    return _view(row)


async def remove_reply(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    reply_id: int,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Delete a reply; returns what it was."""
    await dealership_for(session, actor, dealership_id)
    row = await _reply_of(session, dealership_id, reply_id)
    gone = _view(row)
    await session.delete(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "canned.remove",
        target=_target(row),
        dealership_id=dealership_id,
        at=at,
        changes=audit.diff({"title": row.title, "body": row.body}, {}),
    )
    return gone


async def move_reply(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    reply_id: int,
    direction: str,
    *,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Swap a reply with its neighbour above (``up``) or below (``down``); the first cannot
    go up nor the last down (nothing changes then). Returns the list in its new order."""
    await dealership_for(session, actor, dealership_id)
    if direction not in DIRECTIONS:
        raise SettingsError("Move a reply up or down.")
    row = await _reply_of(session, dealership_id, reply_id)
    rows = await _ordered(session, dealership_id)
    index = rows.index(row)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        # Numbered 0..n-1 afresh: replies saved before positions existed all share 0.
        for number, each in enumerate(rows):
            each.position = number
        await audit.record(
            session,
            actor,
            "canned.move",
            target=_target(row),
            dealership_id=dealership_id,
            at=at,
            changes={"position": {"from": index + 1, "to": other + 1}},
        )
    await session.flush()
    return [_view(each) for each in rows]


async def find_reply_id(session: AsyncSession, actor: Actor, dealership_id: int, title: str) -> int:
    """The id of the dealership's reply with this title (the CLI names replies by title)."""
    await dealership_for(session, actor, dealership_id)
    wanted = " ".join(title.split()).casefold()
    found = [r.id for r in await _ordered(session, dealership_id) if r.title.casefold() == wanted]
    if not found:
        raise SettingsError(f"No canned reply titled {title!r}.", "title")
    if len(found) > 1:
        raise SettingsError(f"Several replies are titled {title!r}: give its --id.", "title")
    return found[0]
