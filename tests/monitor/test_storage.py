"""Storage on SQLite and on the real PostgreSQL: schema, uniqueness, consent, erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.errors import BadInput, Conflict, NotFound
from monitor.people import employees
from monitor.polling.scheduling import due_accounts
from monitor.storage import migrate
from monitor.storage.db import make_engine, session_scope
from monitor.storage.models import AccountRow, AuditEventRow, EmployeeRow, FindingRow, PostRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Any:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def _post(account_id: int, native_id: str, text: str = "hello") -> PostRow:
    return PostRow(account_id=account_id, network="file", native_id=native_id, text=text,
                content_hash="h" + native_id, created_at=NOW, fetched_at=NOW)


def test_migrations_reach_head_and_are_idempotent(engine: Any) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    migrate.upgrade(engine)  # a second start changes nothing
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_times_come_back_utc_aware_and_naive_times_are_refused(engine: Any) -> None:
    with session_scope(engine) as s:
        emp = employees.add_employee(s, "a@example.com", "A")
        emp_id = emp.id
    with Session(engine) as s:
        row = s.get(EmployeeRow, emp_id)
        assert row is not None and row.created_at is not None
        assert row.created_at.tzinfo is not None
    with pytest.raises(sa.exc.StatementError), session_scope(engine) as s:
        s.add(EmployeeRow(email="b@example.com", created_at=datetime(2026, 1, 1)))


def test_post_is_unique_per_account_and_native_id(engine: Any) -> None:
    with session_scope(engine) as s:
        employees.add_employee(s, "a@example.com")
        employees.add_employee(s, "b@example.com")
        acc = employees.link_account(s, "a@example.com", "file", "a.jsonl")
        other = employees.link_account(s, "b@example.com", "file", "b.jsonl")
        acc_id, other_id = acc.id or 0, other.id or 0
        s.add(_post(acc_id, "1"))
    # The same native id in another employee's export is another post.
    with session_scope(engine) as s:
        s.add(_post(other_id, "1", "someone else's"))
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as s:
        s.add(_post(acc_id, "1", "again"))


def test_due_accounts_only_returns_opted_in_active_due_accounts(engine: Any) -> None:
    with session_scope(engine) as s:
        for email in ("in@example.com", "never@example.com", "out@example.com"):
            employees.add_employee(s, email)
            employees.link_account(s, email, "file", f"{email}.jsonl")
        employees.opt_in(s, "in@example.com")
        employees.opt_in(s, "out@example.com")
        employees.opt_out(s, "out@example.com")
    with session_scope(engine) as s:
        due = due_accounts(s, datetime.now(UTC), 100)
        handles = {s.get(AccountRow, i).handle for i in due}  # type: ignore[union-attr]
    assert handles == {"in@example.com.jsonl"}


def test_opt_out_erases_the_employee_and_keeps_one_counts_only_audit_line(engine: Any) -> None:
    with session_scope(engine) as s:
        employees.add_employee(s, "a@example.com")
        employees.opt_in(s, "a@example.com")
        acc = employees.link_account(s, "a@example.com", "file", "a.jsonl")
        post = _post(acc.id or 0, "1", "secret text")
        s.add(post)
        s.flush()
        s.add(FindingRow(post_id=post.id or 0, detector="d", detector_version="1",
                      category="confidential", rule="4", start=0, end=6, masked="se••et",
                      score=0.9, explanation="x", content_hash="h1", decision="alert",
                      created_at=NOW))
    with session_scope(engine) as s:
        counts = employees.opt_out(s, "a@example.com")
    assert counts["posts"] == 1 and counts["accounts"] == 1
    with session_scope(engine) as s:
        assert s.exec(select(sa.func.count()).select_from(PostRow)).one() == 0
        assert s.exec(select(sa.func.count()).select_from(FindingRow)).one() == 0
        assert s.exec(select(sa.func.count()).select_from(AccountRow)).one() == 0
        assert s.exec(select(sa.func.count()).select_from(EmployeeRow)).one() == 0
        # The add, opt-in and link lines named her: gone; one line with counts is left.
        [event] = s.exec(select(AuditEventRow)).all()
        assert event.action == "employee.opt_out" and "a@example.com" not in event.subject
        assert json.loads(event.detail) == {
            "accounts": 1, "posts": 1, "findings": 1, "reviews": 0, "alerts": 0,
            "suppressions": 0, "used_tokens": 0, "employees": 1, "audit_events": 3}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: employees.add_employee(s, "not-an-email"), BadInput, "email:"),
        (lambda s: employees.add_employee(s, "a@example.com", timezone="Mars/Base"), BadInput,
         "timezone: 'Mars/Base'"),
        (lambda s: employees.add_employee(s, "taken@example.com"), Conflict, "already exists"),
        (lambda s: employees.opt_in(s, "nobody@example.com"), NotFound, "no employee"),
        (lambda s: employees.link_account(s, "taken@example.com", "myspace", "x"), BadInput,
         "unknown network 'myspace'; known networks:"),
    ],
)
def test_user_mistakes_raise_clear_errors(engine: Any, call: Any, error: type,
                                          message: str) -> None:
    with session_scope(engine) as s:
        employees.add_employee(s, "taken@example.com")
    with pytest.raises(error, match=message), session_scope(engine) as s:
        call(s)
