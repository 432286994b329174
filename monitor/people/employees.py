"""Employees and their linked accounts: consent, linking, and erasure on opt-out.

What the page and the commands get back is a value (:class:`EmployeeInfo`,
:class:`AccountInfo`), never a row; :func:`get_employee`'s row is for the stage rooms.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connectors.base import AccountRef, Connector, ConnectorError, UnknownNetwork
from connectors.registry import check_network
from monitor.clock import utcnow
from monitor.errors import BadInput, Conflict, NotFound
from monitor.storage import audit
from monitor.storage.db import session_scope
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


@dataclass(frozen=True)
class Verified:
    """One linked account as ``accounts verify`` found it; ``error`` (the connector error's
    class name) and ``message`` are None when the network says it exists and is public."""

    id: int
    email: str
    network: str
    handle: str
    error: str | None
    message: str | None


def _employee_info(emp: EmployeeRow, accounts: int) -> EmployeeInfo:
    return EmployeeInfo(
        id=emp.id or 0,
        email=emp.email,
        name=emp.name,
        timezone=emp.timezone,
        digest_hour=emp.digest_hour,
        opted_in=emp.opted_in_at is not None and emp.opted_out_at is None,
        opted_in_at=emp.opted_in_at,
        opted_out_at=emp.opted_out_at,
        accounts=accounts,
    )


def _account_info(acc: AccountRow, email: str) -> AccountInfo:
    return AccountInfo(
        id=acc.id or 0,
        email=email,
        network=acc.network,
        handle=acc.handle,
        status=acc.status,
        status_reason=acc.status_reason,
        next_poll_at=acc.next_poll_at,
        last_polled_at=acc.last_polled_at,
    )


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


def employee_info(session: Session, email: str) -> EmployeeInfo:
    """The employee with this address, as a value. Raises NotFound."""
    return _counted(session, get_employee(session, email))


def _counted(session: Session, emp: EmployeeRow) -> EmployeeInfo:
    return _employee_info(emp, _account_counts(session, [emp.id or 0]).get(emp.id or 0, 0))


def _account_counts(session: Session, employee_ids: Collection[int] | None = None
                    ) -> dict[int, int]:
    """Linked accounts per employee id (all employees, or those given)."""
    query = select(AccountRow.employee_id, sa.func.count()).group_by(col(AccountRow.employee_id))
    if employee_ids is not None:
        query = query.where(col(AccountRow.employee_id).in_(employee_ids))
    return dict(session.exec(query).all())


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
) -> EmployeeInfo:
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
    return _employee_info(emp, 0)


def opt_in(session: Session, email: str, actor: str = "cli") -> EmployeeInfo:
    emp = get_employee(session, email)
    now = utcnow()
    emp.opted_in_at, emp.opted_out_at, emp.paused = now, None, False
    session.add(emp)
    # Linked accounts become due at once.
    session.execute(
        sa.update(AccountRow).where(col(AccountRow.employee_id) == emp.id).values(next_poll_at=now)
    )
    audit.record(session, actor, "employee.opt_in", f"employee:{emp.id}")
    return _counted(session, emp)


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
    counts = _account_counts(session)
    return [_employee_info(e, counts.get(e.id or 0, 0))
            for e in session.exec(select(EmployeeRow).order_by(col(EmployeeRow.email)))]


def known_network(network: str) -> str:
    """``network`` if a connector reads it, else :class:`BadInput` listing the known ones."""
    try:
        return check_network(network)
    except UnknownNetwork as exc:
        raise BadInput(f"network: {exc}") from exc


def link_account(
    session: Session, email: str, network: str, handle: str, actor: str = "cli"
) -> AccountInfo:
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
    return _account_info(acc, emp.email)


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


def _accounts_with_email() -> Any:
    """Every linked account with its owner's address; callers add filters and order."""
    return select(AccountRow, EmployeeRow.email).join(EmployeeRow)


def list_accounts(session: Session, email: str | None = None,
                  ids: Collection[int] | None = None) -> list[AccountInfo]:
    """Linked accounts by owner and network (only ``email``'s, only the ``ids``, if given)."""
    query = _accounts_with_email()
    if email:
        query = query.where(EmployeeRow.email == check_email(email))
    if ids is not None:
        query = query.where(col(AccountRow.id).in_(ids))
    return [_account_info(a, mail) for a, mail in
            session.exec(query.order_by(col(EmployeeRow.email), col(AccountRow.network)))]


def verify_accounts(engine: Engine, connector_for: Callable[[str], Connector]
                    ) -> Iterator[Verified]:
    """Ask each account's network whether it exists and is public, oldest link first, and
    store the native id the network answers with. Yields as it goes (one network call each).
    """
    with session_scope(engine) as session:
        accounts = [(a.id or 0, mail, a.network, a.handle, a.native_id) for a, mail in
                    session.exec(_accounts_with_email().order_by(col(AccountRow.id)))]
    for acc_id, email, network, handle, native_id in accounts:
        try:
            ref = connector_for(network).verify(AccountRef(network, handle, native_id))
        except ConnectorError as exc:
            yield Verified(acc_id, email, network, handle, type(exc).__name__, str(exc))
            continue
        with session_scope(engine) as session:
            row = session.get(AccountRow, acc_id)
            if row is not None and ref.native_id:
                row.native_id = ref.native_id
                session.add(row)
        yield Verified(acc_id, email, network, handle, None, None)
