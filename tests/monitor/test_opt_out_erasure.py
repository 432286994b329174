"""Opt-out keeps the least data: no row anywhere names the person, one audit line of counts.

Runs on SQLite and on the real PostgreSQL. The scan reads every table of the live schema
(not only the models), so a column added later that copies the e-mail is caught too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import select

from monitor.people import employees
from monitor.review import flags, own
from monitor.storage import migrate
from monitor.storage.db import make_engine, session_scope
from monitor.storage.models import (
    AccountRow,
    AlertRow,
    AuditEventRow,
    EmployeeRow,
    FindingRow,
    PostRow,
    SuppressionRow,
    UsedTokenRow,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EMAIL = "zelda.quixote@corp.example"
NAME = "Zelda Quixote"
OTHER = "other.person@corp.example"


@pytest.fixture
def engine(db_url: str) -> Any:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def _post(account_id: int, native_id: str, text: str) -> PostRow:
    return PostRow(account_id=account_id, network="file", native_id=native_id, text=text,
                url=f"https://social.example/{native_id}", content_hash="h" + native_id,
                created_at=NOW, fetched_at=NOW)


def _finding(post: PostRow, category: str = "confidential") -> FindingRow:
    return FindingRow(post_id=post.id or 0, detector="d", detector_version="1", category=category,
                   rule="4", start=0, end=6, masked="se••et", score=0.9, explanation="x",
                   content_hash=post.content_hash, decision="alert",
                   created_at=NOW - timedelta(hours=2))


def _populate(engine: Any) -> tuple[int, int]:
    """The person with everything the system can hold about them, and a bystander."""
    with session_scope(engine) as s:
        emp = employees.add_employee(s, EMAIL, NAME, "Pacific/Auckland", 7,
                                     own_contacts=["+64 21 555 0100"])
        employees.opt_in(s, EMAIL)
        acc = employees.link_account(s, EMAIL, "file", "zelda.jsonl")
        acc2 = employees.link_account(s, EMAIL, "rss", "https://zelda.example/feed")
        other = employees.add_employee(s, OTHER, "Other", "UTC")
        employees.opt_in(s, OTHER)
        other_acc = employees.link_account(s, OTHER, "file", "other.jsonl")
        emp_id, other_id = emp.id or 0, other.id or 0
        posts = [_post(acc.id or 0, "z1", "secret text one"),
                 _post(acc.id or 0, "z2", "secret text two"),
                 _post(acc2.id or 0, "z3", "blog post"),
                 _post(other_acc.id or 0, "o1", "other's post")]
        s.add_all(posts)
        s.flush()
        findings = [_finding(posts[0]), _finding(posts[1], "harmful"), _finding(posts[3])]
        s.add_all(findings)
        s.flush()
        s.add(AlertRow(employee_id=emp_id, finding_id=findings[0].id, kind="immediate",
                    dedupe_key="zelda-1", next_attempt_at=NOW, created_at=NOW))
        s.add(AlertRow(employee_id=emp_id, kind="digest", dedupe_key="zelda-digest",
                    next_attempt_at=NOW, created_at=NOW))
        s.add(AlertRow(employee_id=other_id, finding_id=findings[2].id, kind="immediate",
                    dedupe_key="other-1", next_attempt_at=NOW, created_at=NOW))
        s.add(SuppressionRow(employee_id=emp_id, category="legal", created_at=NOW))
        s.add(UsedTokenRow(nonce_hash="n" * 64, purpose="signin", employee_id=emp_id, used_at=NOW))
        s.add(UsedTokenRow(nonce_hash="o" * 64, purpose="signin", employee_id=other_id,
                        used_at=NOW))
        f0, f1 = findings[0].id or 0, findings[1].id or 0
    with session_scope(engine) as s:
        # The review page's actions: reviews, a suppression, settings, an export, audit lines.
        flags.resolve(s, emp_id, f0, "not_a_problem", NOW, comment="it was satire")
        flags.resolve(s, emp_id, f1, "remind_later", NOW)
        own.update_settings(s, emp_id, 9, "Europe/Paris", True, NOW)
        own.set_paused(s, emp_id, True, NOW)
        own.set_paused(s, emp_id, False, NOW)
        own.export_data(s, emp_id, NOW)
        # An audit line written by someone acting with the person's address as actor.
        s.add(AuditEventRow(at=NOW, actor=EMAIL, action="web.link_requested", subject=""))
    return emp_id, other_id


def _text_values(engine: Any) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text value in every table of the database."""
    out: list[tuple[str, str, str]] = []
    insp = sa.inspect(engine)
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        for name in insp.get_table_names():
            table = meta.tables[name]
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str):
                        out.append((name, str(column), value))
    return out


def _employee_id_values(engine: Any) -> list[tuple[str, int]]:
    """(table, value) of every column that refers to an employee by id."""
    out: list[tuple[str, int]] = []
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        for table in meta.tables.values():
            for column in table.columns:
                refers = column.name == "employee_id" or (
                    table.name == "employee" and column.name == "id")
                if refers:
                    out += [(table.name, v) for v in conn.execute(sa.select(column)).scalars()]
    return out


def test_opt_out_leaves_nothing_that_names_the_person_and_one_counts_only_audit_line(
    engine: Any,
) -> None:
    emp_id, other_id = _populate(engine)
    # Sanity: the scan does see the person before the opt-out.
    before = _text_values(engine)
    assert any(EMAIL in v for _, _, v in before) and any(NAME in v for _, _, v in before)
    assert any(f"employee:{emp_id}" in v for _, _, v in before)

    with session_scope(engine) as s:
        counts = employees.opt_out(s, EMAIL)

    assert counts == {"accounts": 2, "posts": 3, "findings": 2, "reviews": 2, "alerts": 2,
                      "suppressions": 2, "used_tokens": 1, "employees": 1,
                      "audit_events": counts["audit_events"]}
    assert counts["audit_events"] >= 10
    needles = (EMAIL, NAME, "zelda", "Pacific/Auckland", "555 0100", "satire",
               f"employee:{emp_id}", str(emp_id))
    leftovers = [(t, c, v) for t, c, v in _text_values(engine)
                 if any(n.lower() in v.lower() for n in needles)]
    assert leftovers == []
    assert [t for t, v in _employee_id_values(engine) if v == emp_id] == []
    with session_scope(engine) as s:
        # The bystander keeps everything.
        assert s.get(EmployeeRow, other_id) is not None
        assert [p.native_id for p in s.exec(select(PostRow))] == ["o1"]
        assert len(s.exec(select(FindingRow)).all()) == 1
        assert len(s.exec(select(AlertRow)).all()) == 1
        assert len(s.exec(select(AccountRow)).all()) == 1
        assert len(s.exec(select(UsedTokenRow)).all()) == 1
        assert s.exec(select(AuditEventRow).where(
            AuditEventRow.subject == f"employee:{other_id}")).first() is not None
        [line] = s.exec(select(AuditEventRow).where(
            AuditEventRow.action == "employee.opt_out")).all()
    assert line.actor == "cli"
    assert line.subject.startswith("erasure:") and len(line.subject) > len("erasure:") + 8
    detail = json.loads(line.detail)
    assert detail == {k: v for k, v in counts.items()}
    assert all(isinstance(v, int) for v in detail.values())


def test_opt_out_from_the_review_page_does_not_name_the_employee_as_actor(engine: Any) -> None:
    emp_id, _ = _populate(engine)
    with session_scope(engine) as s:
        counts = own.opt_out(s, emp_id)
    assert counts["posts"] == 3
    with session_scope(engine) as s:
        [line] = s.exec(select(AuditEventRow).where(
            AuditEventRow.action == "employee.opt_out")).all()
        assert s.get(EmployeeRow, emp_id) is None
    assert line.actor == "employee (self)"
    assert str(emp_id) not in line.actor + line.subject + line.detail


def test_the_same_address_added_again_is_a_fresh_employee(engine: Any) -> None:
    emp_id, _ = _populate(engine)
    with session_scope(engine) as s:
        employees.opt_out(s, EMAIL)
    with session_scope(engine) as s:
        again = employees.add_employee(s, EMAIL, "Z")
        new_id = again.id or 0
    with session_scope(engine) as s:
        # A new id: links and sessions made for the old one cannot open the new account.
        assert new_id != emp_id
        info = {e.email: e for e in employees.list_employees(s)}[EMAIL]
        assert not info.opted_in and info.accounts == 0 and info.opted_out_at is None
        assert flags.history(s, new_id) == []


def test_cli_opt_out_prints_the_counts_and_the_address_is_gone(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.cli import cli

    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "z.jsonl").write_text("")  # link checks the export exists
    runner = CliRunner()
    for args in (["init"], ["employees", "add", EMAIL, "--name", NAME, "--opt-in"],
                 ["accounts", "link", EMAIL, "file", "z.jsonl"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["employees", "opt-out", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased 1 accounts" in result.output
    listed = runner.invoke(cli, ["employees", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output) == []
    status = runner.invoke(cli, ["status"])
    assert status.exit_code == 0, status.output
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'social-monitor.storage.db'}")
    try:
        assert [v for _, _, v in _text_values(engine) if EMAIL in v or NAME in v] == []
    finally:
        engine.dispose()
