"""The compliance view: small cells hidden (with a complement), links recorded and revocable.

The summary is checked on SQLite and the real PostgreSQL; the page is served by uvicorn on a
free loopback port and read over real HTTP; the commands run through click's runner on the
same data folder (same database, same link-signing key).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlmodel import Session, select

from monitor.alerts.links import make_token
from monitor.app import App
from monitor.cli import cli
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.people import employees
from monitor.policy import Escalation
from monitor.review import compliance
from monitor.service.smtp_sink import free_port
from monitor.settings import Settings
from monitor.storage.db import session_scope
from monitor.storage.models import AuditEventRow, ComplianceLinkRow, FindingRow, PostRow
from monitor.web import create_app

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday of 2026-W48
LAST_WEEK = NOW - timedelta(days=7)  # 2026-W47

# (employee, category, created, hours to resolve or None)
Flag = tuple[int, str, datetime, float | None]


def _add_flags(app: App, flags: list[Flag]) -> None:
    with session_scope(app.engine) as s:
        accounts: dict[int, int] = {}
        for n, (who, category, created, hours) in enumerate(flags):
            if who not in accounts:
                email = f"person{who}@example.com"
                employees.add_employee(s, email, f"Person {who}")
                employees.opt_in(s, email)
                accounts[who] = employees.link_account(s, email, "file", f"p{who}.jsonl").id or 0
            post = PostRow(account_id=accounts[who], network="file", native_id=f"n{n}",
                        url=f"https://social.example/p{who}/{n}", text=f"text {n}",
                        content_hash=f"h{n}", created_at=created, fetched_at=created)
            s.add(post)
            s.flush()
            s.add(FindingRow(post_id=post.id or 0, detector="t", detector_version="1",
                          category=category, rule="4", start=0, end=4, masked="t••t",
                          score=0.95, explanation="x", content_hash=f"h{n}", decision="alert",
                          status="open" if hours is None else "resolved",
                          resolution=None if hours is None else "deleted",
                          resolved_at=None if hours is None else created + timedelta(hours=hours),
                          created_at=created))


def _groups_hold(summary: compliance.ComplianceSummary) -> None:
    """No total lets one hidden cell be worked out: each sum hides none or at least two."""
    groups = [[summary.total, *summary.by_category.values()]]
    for c, cell in summary.by_category.items():
        groups.append([cell, *(summary.by_week[w].get(c, compliance.Cell(0))
                               for w in summary.weeks)])
    for group in groups:
        assert sum(1 for cell in group if not cell.shown) != 1, group


# --- settings ------------------------------------------------------------------------------


def test_min_cell_size_defaults_to_5_and_refuses_less_than_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().compliance.min_cell_size == 5
    assert load_config().settings.compliance.min_cell_size == 5
    (tmp_path / "settings.toml").write_text("[compliance]\nmin_cell_size = 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    text = "\n".join(str(p) for p in err.value.problems)
    assert "compliance.min_cell_size" in text and "at least 3" in text
    monkeypatch.setenv("SOCIAL_MONITOR_COMPLIANCE__MIN_CELL_SIZE", "8")
    assert load_config().settings.compliance.min_cell_size == 8


# --- the summary ---------------------------------------------------------------------------


def test_a_cell_of_one_employee_is_hidden_and_so_is_a_complement(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = make_app(db_url)
    # 6 people with one harmful flag each, 5 with a confidential one, ONE with 4 legal flags.
    flags: list[Flag] = [(i, "harmful", NOW - timedelta(hours=2), None) for i in range(6)]
    flags += [(i, "confidential", NOW - timedelta(hours=2), None) for i in range(5)]
    flags += [(9, "legal", NOW - timedelta(hours=3 + i), None) for i in range(4)]
    _add_flags(app, flags)
    with session_scope(app.engine) as s:
        summary = compliance.compliance_summary(s, app.config, NOW, "test")
    assert summary.min_cell_size == 5
    assert summary.total == compliance.Cell(15)
    legal = summary.by_category["legal"]
    assert not legal.shown and legal.value is None and legal.reason == "small"
    # Without a complement, 15 - 6 - 5 would give the legal count: the smaller of the others
    # (confidential, 5) is hidden too; the larger stays.
    assert summary.by_category["confidential"] == compliance.Cell(None, "complement")
    assert summary.by_category["harmful"] == compliance.Cell(6)
    assert summary.by_week["2026-W48"]["legal"].reason == "small"
    _groups_hold(summary)


def test_a_small_week_cell_hides_another_week_of_that_category(
    make_app: Callable[..., App]
) -> None:
    app = make_app()
    flags: list[Flag] = [(i, "harmful", NOW - timedelta(hours=1), None) for i in range(6)]
    flags += [(i, "harmful", LAST_WEEK, None) for i in range(5)]
    flags += [(7, "harmful", NOW - timedelta(days=14), None)]  # 2026-W46: one person
    _add_flags(app, flags)
    with session_scope(app.engine) as s:
        summary = compliance.compliance_summary(s, app.config, NOW, "test")
    assert summary.by_category["harmful"] == compliance.Cell(12)
    week = {w: summary.by_week[w]["harmful"] for w in summary.weeks}
    assert week["2026-W46"].reason == "small"
    assert week["2026-W47"] == compliance.Cell(None, "complement")
    assert week["2026-W48"] == compliance.Cell(6)
    _groups_hold(summary)


def test_resolved_share_and_median_from_few_people_are_hidden(
    make_app: Callable[..., App]
) -> None:
    app = make_app()
    # 7 people flagged; only 2 of them resolved anything.
    flags: list[Flag] = [(i, "harmful", NOW - timedelta(hours=5), None) for i in range(7)]
    flags += [(i, "harmful", NOW - timedelta(hours=6), 2.0) for i in range(2)]
    _add_flags(app, flags)
    with session_scope(app.engine) as s:
        summary = compliance.compliance_summary(s, app.config, NOW, "test")
    assert summary.total == compliance.Cell(9)
    assert summary.resolved.reason == "small"
    assert summary.share_resolved is None and summary.median_hours_to_resolve is None
    # The other way round: 7 resolved, open ones from 2 people. total - resolved would give
    # the open count, so resolved is hidden as its complement (the median is still fine).
    app2 = make_app(storage={"data_dir": str(Path(app.config.settings.storage.data_dir) / "b"),
                             "database_url": ""})
    flags = [(i, "harmful", NOW - timedelta(hours=6), 2.0 + i) for i in range(7)]
    flags += [(i, "harmful", NOW - timedelta(hours=5), None) for i in range(2)]
    _add_flags(app2, flags)
    with session_scope(app2.engine) as s:
        summary = compliance.compliance_summary(s, app2.config, NOW, "test")
    assert summary.total == compliance.Cell(9)
    assert summary.resolved == compliance.Cell(None, "complement")
    assert summary.share_resolved is None
    assert summary.median_hours_to_resolve == pytest.approx(5.0)


def test_enough_people_everywhere_hides_nothing_and_k_is_configurable(
    make_app: Callable[..., App]
) -> None:
    flags: list[Flag] = [(i, "harmful", NOW - timedelta(hours=3), 1.0) for i in range(3)]
    flags += [(i, "legal", NOW - timedelta(hours=3), None) for i in range(3)]
    app = make_app(compliance={"min_cell_size": 3})
    _add_flags(app, flags)
    with session_scope(app.engine) as s:
        summary = compliance.compliance_summary(s, app.config, NOW, "test")
    assert summary.total == compliance.Cell(6) and summary.resolved == compliance.Cell(3)
    assert summary.by_category == {"harmful": compliance.Cell(3), "legal": compliance.Cell(3)}
    assert summary.share_resolved == pytest.approx(0.5)
    assert summary.median_hours_to_resolve == pytest.approx(1.0)


# --- the page and the links, over real HTTP ------------------------------------------------


@pytest.fixture
def served(make_app: Callable[..., App], tmp_path: Path) -> Iterator[tuple[str, App]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(review={"base_url": base, "port": port})
    flags: list[Flag] = [(i, "harmful", NOW - timedelta(days=5), None) for i in range(6)]
    flags += [(i, "confidential", NOW - timedelta(days=5), None) for i in range(5)]
    flags += [(9, "legal", NOW - timedelta(days=5, hours=i), None) for i in range(4)]
    _add_flags(app, flags)
    config = uvicorn.Config(create_app(app, clock=lambda: NOW), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="off",
                            http="h11", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-compliance", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _run(app: App, *args: str) -> tuple[int, str, str]:
    settings = app.config.settings
    env = {"SOCIAL_MONITOR_STORAGE__DATA_DIR": str(settings.storage.data_dir),
           "SOCIAL_MONITOR_REVIEW__BASE_URL": settings.review.base_url}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _open(base: str, link: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    r = client.get(link)
    assert r.status_code == 303 and r.headers["location"] == "/compliance"
    return client


def test_page_shows_fewer_than_k_never_the_number_nor_any_post(
    served: tuple[str, App]
) -> None:
    base, app = served
    code, out, _ = _run(app, "compliance-link")
    assert code == 0 and out.startswith(f"{base}/compliance?token=")
    client = _open(base, out.strip())
    html = client.get("/compliance").text
    client.close()
    assert "<dt>Flags</dt><dd>15</dd>" in html
    assert "fewer than 5" in html
    assert "Legal talk: 4" not in html and ">4<" not in html
    assert "hidden" in html  # the complement, explained on the page
    assert "https://social.example" not in html


def test_escalated_flags_show_no_post_address(make_app: Callable[..., App]) -> None:
    app = make_app()
    _add_flags(app, [(1, "harmful", NOW - timedelta(days=5), None)])
    policy = app.config.policy.model_copy(
        update={"escalation": Escalation(enabled=True, after_days=3)})
    app = App(dataclasses.replace(app.config, policy=policy), app.engine)
    with session_scope(app.engine) as s:
        summary = compliance.compliance_summary(s, app.config, NOW, "test")
    [esc] = summary.escalated
    assert esc.employee_email == "person1@example.com"
    assert not hasattr(esc, "url")


def test_links_are_recorded_listed_and_revoked_and_a_revoked_cookie_opens_nothing(
    served: tuple[str, App]
) -> None:
    base, app = served
    code, first, err = _run(app, "compliance-link", "create")
    assert code == 0 and first.startswith(f"{base}/compliance?token=")
    assert "link 1" in err
    code, second, _ = _run(app, "compliance-link")
    assert code == 0
    code, out, _ = _run(app, "compliance-link", "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["status"]) for r in rows] == [(1, "active"), (2, "active")]
    with Session(app.engine) as s:
        stored = s.exec(select(ComplianceLinkRow)).all()
        token = first.strip().split("token=", 1)[1]
        assert all(token not in c.nonce_hash and len(c.nonce_hash) == 64 for c in stored)

    one, two = _open(base, first.strip()), _open(base, second.strip())
    assert one.get("/compliance").status_code == 200
    # Revoking link 1 ends the session already opened with it; link 2 still works.
    code, out, _ = _run(app, "compliance-link", "revoke", "1")
    assert code == 0 and "revoked 1" in out
    denied = one.get("/compliance")
    assert denied.status_code == 403 and "revoked" in denied.text
    assert two.get("/compliance").status_code == 200
    fresh = httpx.get(f"{base}{first.strip().removeprefix(base)}", follow_redirects=False)
    assert fresh.status_code == 403 and "revoked" in fresh.text
    # revoke --all, then nothing opens.
    code, out, _ = _run(app, "compliance-link", "revoke", "--all")
    assert code == 0 and "revoked 1" in out
    assert two.get("/compliance").status_code == 403
    code, out, _ = _run(app, "compliance-link", "list", "--json")
    assert {r["status"] for r in json.loads(out)} == {"revoked"}
    one.close()
    two.close()
    with Session(app.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEventRow))
                   if e.action.startswith("compliance.link")]
    assert actions.count("compliance.link_created") == 2
    assert actions.count("compliance.link_revoked") == 2


def test_an_unrecorded_link_opens_nothing(served: tuple[str, App]) -> None:
    base, app = served
    # Signed with the right key, but never handed out by the command (not in compliance_link).
    token = make_token(app.config, 0, "compliance")
    r = httpx.get(f"{base}/compliance", params={"token": token}, follow_redirects=False)
    assert r.status_code == 403 and "not valid" in r.text
    r = httpx.get(f"{base}/compliance", cookies={"sm_compliance": token}, follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize(("args", "message"), [
    (("compliance-link", "revoke"), "give a link ID or --all"),
    (("compliance-link", "revoke", "99"), "no compliance link 99"),
])
def test_revoke_mistakes_are_one_line_errors(
    served: tuple[str, App], args: tuple[str, ...], message: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from monitor.cli import main

    _, app = served
    data_dir = str(app.config.settings.storage.data_dir)
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", data_dir)
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
