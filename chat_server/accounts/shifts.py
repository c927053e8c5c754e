"""Who is on shift: the one rule the ladder's roster and the manager's dashboard both read.

An operator is **on shift** when they chose "available", some channel can ring them (an open
console, whose heartbeat is ``online_until``; a phone with a Web Push subscription; or a
verified mobile number when a text provider is configured), and their optional end of shift
has not passed. Store roles that are rung at all: ``STORE_RINGABLE_ROLES``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_

from chat_server.store.models import Operator, PushSubscription

STORE_RINGABLE_ROLES = ("salesperson",)


def reachable_without_console(texts: bool) -> ColumnElement[bool]:
    """A channel other than an open console: a phone with Web Push, or (when a text provider
    is configured) a verified mobile number."""
    has_phone = exists().where(PushSubscription.operator_id == Operator.id)
    if not texts:
        return has_phone
    return or_(has_phone, Operator.mobile_verified_at.is_not(None))


def on_shift(at: datetime, texts: bool = False) -> ColumnElement[bool]:
    """The SQL condition "this operator can be rung at ``at``"; ``texts``: a text provider is
    configured, so a verified mobile number is a channel."""
    return and_(
        Operator.active.is_(True),  # a deactivated operator is never rung
        Operator.presence == "available",
        or_(Operator.online_until > at, reachable_without_console(texts)),
        or_(Operator.shift_ends_at.is_(None), Operator.shift_ends_at > at),
    )
