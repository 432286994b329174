"""The review service and the commands around the page: compliance link, demo sign-in links."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from web_helpers import NOW, TestClient, World, csrf_from

from monitor.cli import main
from monitor.errors import BadInput, NotFound
from monitor.review import compliance, flags
from monitor.review.suggestions import suggest
from monitor.service.demo import open_demo_app, run_demo
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope
from monitor.storage.models import AuditEventRow
from monitor.web import create_app


@pytest.mark.parametrize(("score", "words"), [
    (0.99, "very likely"), (0.9, "very likely"), (0.89, "likely"), (0.75, "likely"),
    (0.74, "possibly"), (0.5, "possibly"),
])
def test_score_in_words(score: float, words: str) -> None:
    assert flags.likelihood(score) == words


@pytest.mark.parametrize(("category", "first_kind"), [
    ("harmful", "apology"), ("personal_data", "deletion_notice"),
    ("credentials", "deletion_notice"), ("confidential", "deletion_notice"),
    ("legal", "deletion_notice"), ("something_new", "correction"),
])
def test_suggestions_by_category(category: str, first_kind: str) -> None:
    options = suggest(category)
    assert options[0].kind == first_kind
    assert all(s.text and len(s.text) < 300 for s in options)


def test_service_refuses_other_peoples_flags_and_bad_input(world: World) -> None:
    with session_scope(world.app.engine) as s:
        with pytest.raises(NotFound):
            flags.get_flag(s, world.app.config, world.ann, world.bob_flag)
        with pytest.raises(NotFound):
            flags.resolve(s, world.ann, world.bob_flag, "deleted", NOW)
        with pytest.raises(BadInput):
            flags.resolve(s, world.ann, world.ann_flag, "deleted", NOW, "x" * 2001)
        assert [f.id for f in flags.list_open(s, world.app.config, world.ann, NOW)] == [
            world.ann_flag, world.ann_old_flag]


def test_compliance_summary_counts_and_median(world: World) -> None:
    # Given: one flag resolved after 2 hours, one after 4
    with session_scope(world.app.engine) as s:
        flags.resolve(s, world.ann, world.ann_flag, "deleted", NOW + timedelta(hours=1))
        flags.resolve(s, world.bob, world.bob_flag, "edited", NOW + timedelta(hours=3))
    with session_scope(world.app.engine) as s:
        summary = compliance.compliance_summary(s, world.app.config, NOW, "test")
    # Two employees are fewer than compliance.min_cell_size (5): every count is hidden, and
    # so is the median (tests/monitor/web/test_compliance.py has the counts themselves).
    assert summary.total == compliance.Cell(None, "small")
    assert summary.resolved == compliance.Cell(None, "small")
    assert summary.share_resolved is None and summary.median_hours_to_resolve is None
    assert set(summary.by_category) == {"confidential", "harmful", "personal_data"}
    assert not any(c.shown for c in summary.by_category.values())
    assert summary.weeks == ["2026-W48"]
    assert summary.escalated == [] and not summary.escalation_enabled


def test_compliance_link_command_prints_a_working_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    world: World,
) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    main(["compliance-link"])
    out = capsys.readouterr().out.strip()
    assert out.startswith("http://127.0.0.1:8080/compliance?token=")
    # world's app uses the same data folder, so the same secret key
    with TestClient(create_app(world.app, clock=lambda: NOW), follow_redirects=False) as c:
        assert c.get("/compliance?" + out.split("?", 1)[1]).status_code == 303
        assert c.get("/compliance").status_code == 200
    with Session(world.app.engine) as s:
        assert s.exec(select(AuditEventRow).where(
            AuditEventRow.action == "compliance.link_created")).first()


def test_demo_prints_a_sign_in_link_that_works(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo")
    assert result.review_url == "http://127.0.0.1:8080"
    email, link = next(iter(result.signin_links.items()))
    with SmtpSink() as sink:
        app = open_demo_app(result.folder, sink)
        try:
            with TestClient(create_app(app), follow_redirects=False) as c:
                page = c.get("/signin?" + link.split("?", 1)[1])
                assert page.status_code == 200 and email in page.text
                r = c.post("/signin", data={"token": link.split("token=", 1)[1],
                                            "csrf_token": csrf_from(page.text)})
                assert r.status_code == 303
                assert "Your open flags" in c.get("/").text
        finally:
            app.engine.dispose()
