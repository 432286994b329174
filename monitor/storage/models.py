"""Database tables (SQLModel). Rows stay in the storage layer; the rest sees domain values.

Each table class ends in ``Row`` (``FindingRow``), so a stored row is never mistaken for a
value of the same name (``classifiers.base.Finding``).

Times are stored as UTC and always come back UTC-aware (see :class:`UTCDateTime`), on
SQLite as on PostgreSQL. Deleting an employee's posts cascades to findings, reviews and
alerts through the foreign keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC; return aware UTC. Refuses naive datetimes so no local time slips in."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _utc(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _fk(target: str, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column_args=[sa.ForeignKey(target, ondelete="CASCADE")],
        nullable=nullable,
        index=index,
    )


class EmployeeRow(SQLModel, table=True):
    __tablename__ = "employee"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    digest_hour: int = 8
    digest_unsubscribed: bool = False
    paused: bool = False
    # The employee's own public contact details, never flagged (JSON list of strings).
    own_contacts: str = "[]"
    # Bumped by sign-out and opt-out: review-page sessions of an older version are refused.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    opted_in_at: datetime | None = _utc()
    opted_out_at: datetime | None = _utc()
    created_at: datetime | None = _utc(nullable=False)


class AccountRow(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (
        sa.UniqueConstraint("network", "handle", name="uq_account_network_handle"),
        # The tick's per-network pick of due accounts, oldest first (see bench_growth.py).
        sa.Index("ix_account_network_next_poll_at", "network", "next_poll_at"),
        # Rests and pauses are per host (a Mastodon server, a feed's host, the AppView).
        sa.Index("ix_account_network_host", "network", "host"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = _fk("employee.id")
    network: str = Field(max_length=32)
    handle: str = Field(max_length=1024)
    native_id: str | None = Field(default=None, max_length=128)
    cursor: str | None = None
    # active | unavailable (not found, private, ...) | paused
    status: str = Field(default="active", max_length=16, index=True)
    status_reason: str = Field(default="", max_length=500)
    failure_count: int = 0
    next_poll_at: datetime | None = _utc(index=True)
    last_polled_at: datetime | None = _utc()
    created_at: datetime | None = _utc(nullable=False)
    # The host the account is read from, for networks whose hosts rest and pause apart
    # (``polling.scheduling.host_for``); set by each poll, NULL until the first one.
    host: str | None = Field(default=None, max_length=255)


class PostRow(SQLModel, table=True):
    __tablename__ = "post"
    __table_args__ = (
        # Native ids are unique per account only: two exports can both hold "same-1", and
        # Mastodon ids are unique per server. Every lookup of a post names its account.
        sa.UniqueConstraint("account_id", "native_id", name="uq_post_account_native"),
        # Storing a new post looks up its edit group (X edits); see bench_growth.py.
        sa.Index("ix_post_account_group_id", "account_id", "group_id"),
        # The re-check of recent posts picks them by network and age.
        sa.Index("ix_post_network_created_at", "network", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _fk("account.id")
    network: str = Field(max_length=32)
    native_id: str = Field(max_length=128)
    group_id: str | None = Field(default=None, max_length=128)
    url: str = Field(default="", max_length=2048)
    # Purged after the retention period; findings keep the masked match and explanation.
    text: str | None = None
    content_hash: str = Field(max_length=64)
    language: str | None = Field(default=None, max_length=8)
    wording_assessed: bool = True
    created_at: datetime | None = _utc(nullable=False)
    edited_at: datetime | None = _utc()
    deleted_at: datetime | None = _utc()
    fetched_at: datetime | None = _utc(nullable=False)
    # Re-checks in a row that did not see the post: a deletion needs confirmation, never
    # one empty or partial answer (see polling.store.store_result).
    missing_checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # When a re-check last looked at the post (NULL: never; ``fetched_at`` counts then).
    checked_at: datetime | None = _utc()
    # Detectors that failed on the post's current text, comma-separated (names only): the
    # others' findings still stand, and the review page says what was not checked.
    failed_detectors: str = Field(default="", max_length=512,
                                  sa_column_kwargs={"server_default": ""})
    # The connector's notes on how the post was read (JSON; e.g. "created_at": "poll time"
    # when the feed's date could not be read), never post text.
    read_notes: str = Field(default="", max_length=2048, sa_column_kwargs={"server_default": ""})


class FindingRow(SQLModel, table=True):
    __tablename__ = "finding"
    __table_args__ = (
        # Open flags are always looked up through one employee's posts (review page, digest,
        # polling): post first, so the planner never starts from every open flag there is.
        sa.Index("ix_finding_post_id_status", "post_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = _fk("post.id", index=False)
    detector: str = Field(max_length=64)
    detector_version: str = Field(max_length=32)
    category: str = Field(max_length=32, index=True)
    kind: str = Field(default="", max_length=64)
    rule: str = Field(max_length=8)
    start: int
    end: int
    masked: str = Field(max_length=500)
    score: float
    explanation: str
    # The post's content hash when found: an edit that changes the text is checked again.
    content_hash: str = Field(max_length=64)
    # alert | digest
    decision: str = Field(max_length=16)
    # open | resolved
    status: str = Field(default="open", max_length=16)
    resolution: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = _utc()
    remind_after: datetime | None = _utc()
    created_at: datetime | None = _utc(nullable=False, index=True)


class AlertRow(SQLModel, table=True):
    __tablename__ = "alert"
    """The outbox: one row per message to send; the dedupe key makes sending exactly-once."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = _fk("employee.id")
    finding_id: int | None = _fk("finding.id", nullable=True)
    # immediate | digest | operator
    kind: str = Field(max_length=16)
    channel: str = Field(default="email", max_length=32)
    dedupe_key: str = Field(unique=True, max_length=200)
    # queued | sending | sent | failed | dead | cancelled
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _utc(index=True)
    last_error: str = Field(default="", max_length=500)
    message_id: str = Field(default="", max_length=200)
    created_at: datetime | None = _utc(nullable=False)
    sent_at: datetime | None = _utc()


class ReviewRow(SQLModel, table=True):
    __tablename__ = "review"
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = _fk("finding.id")
    employee_id: int = _fk("employee.id")
    # deleted | edited | apologized | not_a_problem | remind_later
    action: str = Field(max_length=32)
    comment: str = Field(default="", max_length=2000)
    created_at: datetime | None = _utc(nullable=False)


class SuppressionRow(SQLModel, table=True):
    __tablename__ = "suppression"
    """Do not flag again: one post+rule by content hash, or a rule/category for an employee."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int | None = _fk("employee.id", nullable=True)
    content_hash: str | None = Field(default=None, max_length=64, index=True)
    rule: str | None = Field(default=None, max_length=8)
    category: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = _utc(nullable=False)


class AuditEventRow(SQLModel, table=True):
    """Who did what when. Never post text: ids, actions and counts only."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _utc(nullable=False, index=True)
    actor: str = Field(max_length=320)
    action: str = Field(max_length=64)
    subject: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=1000)


class HostRestRow(SQLModel, table=True):
    """A host that must not be asked anything until ``until``: it answered 429 (``reason``
    ``RateLimited``) or refused the credentials (``AuthFailed``, a pause). One row per
    event, never updated (no race between workers); the latest ``until`` wins."""

    __tablename__ = "host_rest"
    __table_args__ = (sa.Index("ix_host_rest_network_host", "network", "host", "until"),)

    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=32)
    host: str = Field(max_length=255)
    reason: str = Field(max_length=32)
    since: datetime | None = _utc(nullable=False)
    until: datetime | None = _utc(nullable=False)


class UsedTokenRow(SQLModel, table=True):
    """A spent single-use sign-in link: the hash of its nonce, never the token itself."""

    __tablename__ = "used_token"

    id: int | None = Field(default=None, primary_key=True)
    nonce_hash: str = Field(unique=True, max_length=64)
    purpose: str = Field(max_length=32)
    employee_id: int = Field(index=True)
    used_at: datetime | None = _utc(nullable=False, index=True)


class ComplianceLinkRow(SQLModel, table=True):
    """A compliance-view link handed out (hash of its nonce only); revoked links open nothing."""

    __tablename__ = "compliance_link"

    id: int | None = Field(default=None, primary_key=True)
    nonce_hash: str = Field(unique=True, max_length=64)
    created_at: datetime | None = _utc(nullable=False)
    revoked_at: datetime | None = _utc()
