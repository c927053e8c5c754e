"""SQLAlchemy 2 typed models: the whole schema. Changed only through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which has no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Dealership(Base):
    __tablename__ = "dealerships"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2), default="US")
    # {"sales": {"mon": [["09:00", "20:00"]], ...}, "service": {...}, "parts": {...}}
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    greeting: Mapped[str] = mapped_column(String(500), default="Hi! How can we help?")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    crm_email: Mapped[str] = mapped_column(String(320), default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    ring_strategy: Mapped[str] = mapped_column(String(20), default="ring_all")
    sticky_s: Mapped[float] = mapped_column(default=8.0)
    store_window_s: Mapped[float] = mapped_column(default=20.0)
    pool_window_s: Mapped[float] = mapped_column(default=25.0)
    round_robin_step_s: Mapped[float] = mapped_column(default=8.0)
    grace_s: Mapped[float] = mapped_column(default=60.0)
    capture_window_s: Mapped[float] = mapped_column(default=300.0)
    # CRM delivery (issue 5, see chat_server/leads/): intake addresses besides crm_email,
    # the ADF also as an attachment, the webhook's HMAC secret, Ups logged as "chat up" leads,
    # and the follow-up cadence (offsets in days; empty means the default cadence).
    crm_addresses: Mapped[list[Any]] = mapped_column(default=list)
    crm_attachment: Mapped[bool] = mapped_column(default=False)
    webhook_secret: Mapped[str] = mapped_column(String(200), default="")
    log_ups: Mapped[bool] = mapped_column(default=False)
    cadence_days: Mapped[list[Any]] = mapped_column(default=list)
    # The dealer's own notes or script, shown to receptionists answering for this store.
    console_notes: Mapped[str] = mapped_column(Text, default="")
    # Widget theme (docs/widget.md): accent colour, logo or avatar URL, launcher side, language.
    widget_color: Mapped[str] = mapped_column(String(20), default="#0b5cad")
    widget_logo_url: Mapped[str] = mapped_column(String(500), default="")
    widget_position: Mapped[str] = mapped_column(String(5), default="right")  # left, right
    widget_language: Mapped[str] = mapped_column(String(5), default="en")  # en, es
    # Outside sales hours, ring on-shift salespeople before the pool (the ladder's
    # LadderConfig.after_hours_store_first).
    after_hours_store_first: Mapped[bool] = mapped_column(default=True)
    # A ring no device has accepted after this many seconds also goes out as a text.
    text_after_s: Mapped[float] = mapped_column(default=8.0)
    # Dated closures and special hours (holidays), on top of the weekly ``hours``: a list of
    # {"date": "2026-12-25", "departments": ["sales", ...], "ranges": [] (closed) or
    # [["10:00", "14:00"]], "label": "Christmas"} (ladder/hours.py reads them).
    dated_hours: Mapped[list[Any]] = mapped_column(default=list)
    # Which lead events the webhook receives: "lead.new", "lead.resend".
    webhook_events: Mapped[list[Any]] = mapped_column(default=lambda: ["lead.new", "lead.resend"])


class Pool(Base):
    __tablename__ = "pools"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class PoolCoverage(Base):
    __tablename__ = "pool_coverage"
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id"), primary_key=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"), primary_key=True)


class Operator(Base):
    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # salesperson, manager, receptionist, admin
    dealership_id: Mapped[int | None] = mapped_column(ForeignKey("dealerships.id"))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    presence: Mapped[str] = mapped_column(String(20), default="away")
    presence_at: Mapped[datetime | None]
    # Renewed while a console of theirs is open (see chats/presence.py); rung only before it.
    online_until: Mapped[datetime | None]
    last_rung_at: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    # Bumped on sign-out everywhere and password change: invalidates old session cookies.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # Sign-in throttling: consecutive wrong passwords, and the lockout they caused.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # An optional end of shift: after it the operator is not rung, whatever their channels.
    shift_ends_at: Mapped[datetime | None]
    # A mobile number for ring texts (E.164), usable once verified with a texted code.
    mobile_phone: Mapped[str] = mapped_column(String(40), default="")
    mobile_verified_at: Mapped[datetime | None]
    mobile_code_hash: Mapped[str] = mapped_column(String(64), default="")
    mobile_code_until: Mapped[datetime | None]
    mobile_code_tries: Mapped[int] = mapped_column(Integer, default=0)
    # A deactivated operator cannot sign in and is never rung; their history stays.
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None]


class PushSubscription(Base):
    """One device of an operator that takes Web Push rings (the browser's PushSubscription)."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    # The push service's URL for this device; a new subscription of the same device replaces it.
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))  # the device's public key (base64url)
    auth: Mapped[str] = mapped_column(String(100))  # its authentication secret (base64url)
    label: Mapped[str] = mapped_column(String(200), default="")  # "Chrome on Android"
    created_at: Mapped[datetime]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")


class ServerKey(Base):
    """A key the installation generates once and every node shares (the VAPID key pair)."""

    __tablename__ = "server_keys"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Visitor(Base):
    __tablename__ = "visitors"
    id: Mapped[int] = mapped_column(primary_key=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"), index=True)
    # sha256 of the bearer token the widget keeps; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id"), index=True)
    department: Mapped[str] = mapped_column(String(20), default="sales")
    state: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    owner_tier: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    ladder: Mapped[dict[str, Any]] = mapped_column(default=dict)
    page: Mapped[dict[str, Any]] = mapped_column(default=dict)
    vehicle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    first_message_at: Mapped[datetime]
    store_rung_at: Mapped[datetime | None]
    pool_rung_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    first_human_reply_at: Mapped[datetime | None]
    lead_capture_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_conversations_dealership_state", "dealership_id", "state"),
        Index("ix_conversations_owner_state", "owner_id", "state"),
        # The Conversations page (chat_server/history/): newest first per dealership, and the
        # search indexer's look at open and recently closed conversations.
        Index("ix_conversations_dealership_first", "dealership_id", "first_message_at"),
        Index("ix_conversations_closed_at", "closed_at"),
    )
    # The ORM adds "WHERE version = <read>" to every UPDATE and raises StaleDataError when a
    # concurrent writer got there first: the compare-and-set behind accepting a chat.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    author_kind: Mapped[str] = mapped_column(String(20))  # visitor, staff, receptionist, system
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )


class RingRecord(Base):
    __tablename__ = "rings"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    tier: Mapped[str] = mapped_column(String(10))
    quiet: Mapped[bool] = mapped_column(default=False)
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (Index("ix_rings_operator_open", "operator_id", "ended_at"),)


class Lead(Base):
    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), unique=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id"))
    service: Mapped[str] = mapped_column(String(20))  # store, pool, unanswered
    status: Mapped[str] = mapped_column(String(20), default="new")
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    preferred_time: Mapped[str] = mapped_column(String(20), default="nopreference")
    created_at: Mapped[datetime]
    # Issue 5: rules, de-duplication, assignment and follow-up (see chat_server/leads/).
    segment: Mapped[str] = mapped_column(String(20), default="lead")  # lead, prospect, customer
    department: Mapped[str] = mapped_column(String(20), default="sales")
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    spam_reason: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    # Normalised keys the de-duplication looks up: lower-cased e-mail, "name|E.164 phone".
    email_key: Mapped[str] = mapped_column(String(320), default="", index=True)
    name_phone_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    resend_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]


class Deadline(Base):
    """A durable timer: fired by whichever node claims it first once ``fire_at`` passes."""

    __tablename__ = "deadlines"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]


class ConversationNote(Base):
    """An internal note on a conversation: staff and receptionists only, never the shopper."""

    __tablename__ = "conversation_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CannedReply(Base):
    """A dealership's saved answer; ``{dealership}``, ``{agent}``, ``{vehicle}`` are filled in."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order the console lists them


class LeadConversation(Base):
    """Every conversation merged into a lead (its first one included), in order."""

    __tablename__ = "lead_conversations"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    added_at: Mapped[datetime]


class LeadDelivery(Base):
    """The outbox: one row per lead send to one target, retried by any node under a lease."""

    __tablename__ = "lead_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # email, webhook, log
    target: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # new, resend
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class LeadTask(Base):
    """One follow-up step of a lead's cadence; an attempt logged against it completes it."""

    __tablename__ = "lead_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    channel: Mapped[str] = mapped_column(String(20), default="")  # call, text, email
    note: Mapped[str] = mapped_column(String(1000), default="")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))


class ApiToken(Base):
    """A per-dealership bearer token for ``/api/v1``; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    dealership_id: Mapped[int] = mapped_column(ForeignKey("dealerships.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AccountLink(Base):
    """A one-time link that sets a password: an invitation, a reset, or the first admin's.

    Only the token's sha256 is stored; ``used_at`` makes it one-time.
    """

    __tablename__ = "account_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite, reset, first_admin
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed which setting, when, from what to what (secrets masked)."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")  # "command line" for the CLI
    dealership_id: Mapped[int | None] = mapped_column(ForeignKey("dealerships.id"))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id"))
    action: Mapped[str] = mapped_column(String(80))  # e.g. "hours.set", "team.deactivate"
    target: Mapped[str] = mapped_column(String(300), default="")
    # {field: {"from": old, "to": new}}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_audit_entries_dealership_at", "dealership_id", "at"),
        Index("ix_audit_entries_pool_at", "pool_id", "at"),
    )


class ConversationSearch(Base):
    """One conversation's search document: its shopper, vehicle and transcript as plain words,
    written by the history indexer (chat_server/history/indexer.py), never by the chat path.

    Migration 0010 adds the full-text index beside it, which the models cannot declare: an
    FTS5 table kept by triggers on SQLite, a GIN index on ``to_tsvector`` on PostgreSQL.
    """

    __tablename__ = "conversation_search"
    id: Mapped[int] = mapped_column(primary_key=True)  # the FTS5 table's rowid
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), unique=True)
    document: Mapped[str] = mapped_column(Text)
    # The conversation's last_seq and version when indexed: a difference means "index again".
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[datetime]
