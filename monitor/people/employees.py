"""Employees and their linked accounts: consent, linking, and erasure on opt-out."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from connectors.base import UnknownNetwork
from connectors.registry import check_network
from monitor.clock import utcnow
from monitor.errors import BadInput, Conflict, NotFound
from monitor.storage import audit
from monitor.storage.erase import erase_accounts, erase_employee
from monitor.storage.models import AccountRow, EmployeeRow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How an employee erasing their own data appears on the one audit line that is kept.
SELF_ACTOR = "employee (self)"
# Employee ids are drawn at random from [_ID_LOW, _ID_HIGH): an id is never handed out twice
# in practice, so a sign-in link or session of an erased employee (whose row is gone) can
# never open the account of someone added later. SQLite would otherwise reuse the highest
# id after its row is deleted (INTEGER PRIMARY KEY without AUTOINCREMENT).
_ID_LOW, _ID_HIGH = 1 << 20, (1 << 31) - 1


@dataclass(frozen=True)
class EmployeeInfo:
    id: int
    email: str
    name: str
    timezone: str
    digest_hour: int
    opted_in: bool
    opted_in_at: datetime | None
    opted_out_at: datetime | None
    accounts: int


@dataclass(frozen=True)
class AccountInfo:
    id: int
    email: str
    network: str
    handle: str
    status: str
    status_reason: str
    next_poll_at: datetime | None
    last_polled_at: datetime | None


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email):
        raise BadInput(f"email: {email!r} is not an e-mail address (expected name@domain)")
    return email.lower()


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(
            f"timezone: {tz!r} is not a known time zone (expected an IANA name like Europe/Paris)"
        ) from exc
    return tz


def get_employee(session: Session, email: str) -> EmployeeRow:
    emp = session.exec(select(EmployeeRow).where(EmployeeRow.email == check_email(email))).first()
    if emp is None:
        raise NotFound(f"no employee with e-mail {email!r}; add one with `employees add`")
    return emp


def _fresh_id(session: Session) -> int:
    while True:
        candidate = _ID_LOW + secrets.randbelow(_ID_HIGH - _ID_LOW)
        if session.get(EmployeeRow, candidate) is None:
            return candidate


def add_employee(
    session: Session,
    email: str,
    name: str = "",
    timezone: str = "UTC",
    digest_hour: int = 8,
    own_contacts: Sequence[str] = (),
    actor: str = "cli",
) -> EmployeeRow:
    email = check_email(email)
    check_timezone(timezone)
    if not 0 <= digest_hour <= 23:
        raise BadInput(f"digest hour: {digest_hour} is not an hour (expected 0-23)")
    if session.exec(select(EmployeeRow).where(EmployeeRow.email == email)).first():
        raise Conflict(f"employee {email} already exists")
    emp = EmployeeRow(
        id=_fresh_id(session),
        email=email,
        name=name,
        timezone=timezone,
        digest_hour=digest_hour,
        own_contacts=json.dumps(sorted({c.strip() for c in own_contacts if c.strip()})),
        created_at=utcnow(),
    )
    session.add(emp)
    session.flush()
    audit.record(session, actor, "employee.add", f"employee:{emp.id}")
    return emp


def opt_in(session: Session, email: str, actor: str = "cli") -> EmployeeRow:
    emp = get_employee(session, email)
    now = utcnow()
    emp.opted_in_at, emp.opted_out_at, emp.paused = now, None, False
    session.add(emp)
    # Linked accounts become due at once.
    session.execute(
        sa.update(AccountRow).where(col(AccountRow.employee_id) == emp.id).values(next_poll_at=now)
    )
    audit.record(session, actor, "employee.opt_in", f"employee:{emp.id}")
    return emp


def opt_out(session: Session, email: str, actor: str = "cli") -> dict[str, int]:
    """Stop monitoring and erase everything about the person at once, the employee row too.

    Deletes their accounts, posts, findings, reviews, alerts, suppressions, spent sign-in
    links, the employee row (e-mail, name, time zone) and the audit lines that name them
    (see :func:`monitor.storage.erase.erase_employee`). What stays is ONE audit line, action
    ``employee.opt_out``, whose detail is the JSON counts and whose subject is a random
    ``erasure:`` reference, not the e-mail, name or id. An actor that names the person
    (``employee:ID`` from the review page, or their e-mail) is written as
    ``employee (self)``. The same address added later is a fresh employee with a new id.

    Returns the counts erased (accounts first).
    """
    emp = get_employee(session, email)
    self_actors = {f"employee:{emp.id}", emp.email}
    counts = erase_employee(session, emp)
    audit.record(
        session,
        SELF_ACTOR if actor in self_actors or emp.email in actor.lower() else actor,
        "employee.opt_out",
        f"erasure:{secrets.token_hex(8)}",
        json.dumps(counts),
    )
    return counts


def list_employees(session: Session) -> list[EmployeeInfo]:
    counts = dict(
        session.exec(
            select(AccountRow.employee_id, sa.func.count()).group_by(col(AccountRow.employee_id))
        ).all()
    )
    return [
        EmployeeInfo(
            id=e.id or 0,
            email=e.email,
            name=e.name,
            timezone=e.timezone,
            digest_hour=e.digest_hour,
            opted_in=e.opted_in_at is not None and e.opted_out_at is None,
            opted_in_at=e.opted_in_at,
            opted_out_at=e.opted_out_at,
            accounts=counts.get(e.id or 0, 0),
        )
        for e in session.exec(select(EmployeeRow).order_by(col(EmployeeRow.email)))
    ]


def known_network(network: str) -> str:
    """``network`` if a connector reads it, else :class:`BadInput` listing the known ones."""
    try:
        return check_network(network)
    except UnknownNetwork as exc:
        raise BadInput(f"network: {exc}") from exc


def link_account(
    session: Session, email: str, network: str, handle: str, actor: str = "cli"
) -> AccountRow:
    """Link ``handle`` (checked for its shape by the caller, see
    :func:`monitor.people.handles.check_handle`) to the employee."""
    known_network(network)
    handle = handle.strip()
    if not handle:
        raise BadInput("handle: empty (expected the account's handle, URL or file path)")
    emp = get_employee(session, email)
    if emp.opted_out_at is not None:
        raise Conflict(f"{emp.email} has opted out; opt in again before linking accounts")
    existing = session.exec(
        select(AccountRow).where(AccountRow.network == network, AccountRow.handle == handle)
    ).first()
    if existing:
        raise Conflict(f"{network} account {handle!r} is already linked")
    acc = AccountRow(
        employee_id=emp.id or 0,
        network=network,
        handle=handle,
        next_poll_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(acc)
    session.flush()
    audit.record(session, actor, "account.link", f"account:{acc.id}", f"network={network}")
    return acc


def unlink_account(
    session: Session, email: str, network: str, handle: str, actor: str = "cli"
) -> None:
    """Unlink one account and erase what was stored from it."""
    emp = get_employee(session, email)
    acc = session.exec(
        select(AccountRow).where(
            AccountRow.employee_id == emp.id, AccountRow.network == network,
                AccountRow.handle == handle
        )
    ).first()
    if acc is None:
        raise NotFound(f"{emp.email} has no {network} account {handle!r}")
    erase_accounts(session, [acc.id or 0])
    session.delete(acc)
    audit.record(session, actor, "account.unlink", f"account:{acc.id}", f"network={network}")


def list_accounts(session: Session, email: str | None = None) -> list[AccountInfo]:
    query = select(AccountRow, EmployeeRow.email).join(EmployeeRow)
    if email:
        query = query.where(EmployeeRow.email == check_email(email))
    return [
        AccountInfo(
            id=a.id or 0,
            email=mail,
            network=a.network,
            handle=a.handle,
            status=a.status,
            status_reason=a.status_reason,
            next_poll_at=a.next_poll_at,
            last_polled_at=a.last_polled_at,
        )
        for a, mail in session.exec(query.order_by(col(EmployeeRow.email), col(AccountRow.network)))
    ]
