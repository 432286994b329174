"""Retention (the daemon's daily job): post text goes after its period, findings keep the
masked match and the explanation; resolved flags go after theirs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from monitor.app import App, open_app
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink
from monitor.storage import retention
from monitor.storage.db import session_scope
from monitor.storage.models import FindingRow, PostRow

TEXT = "Big news: our client Acme Corp signed with us today"


def _app(tmp_path: Path, sink: SmtpSink) -> App:
    return open_app(overrides={
        "storage": {"data_dir": str(tmp_path / "data"), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port},
        "retention": {"post_text_days": 30, "resolved_flag_days": 180},
    })


def test_text_is_purged_after_its_period_and_findings_keep_the_masked_match(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    # given one flagged post and one harmless post, polled now
    app = _app(tmp_path, smtp_sink)
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({"id": i, "text": t, "created_at": "2026-11-20T08:00:00Z"})
                             + "\n" for i, t in (("1", TEXT), ("2", "Nice hike today"))))
    with session_scope(app.engine) as s:
        employees.add_employee(s, "a@example.com", "A")
        employees.opt_in(s, "a@example.com", actor="test")
        employees.link_account(s, "a@example.com", "file", str(posts), actor="test")
    now = utcnow()
    app.poller().poll_due(now=now)
    with session_scope(app.engine) as s:
        finding = s.exec(select(FindingRow)).one()
        masked, explanation = finding.masked, finding.explanation
    # when: 29 days later nothing goes; 31 days later the text does
    assert retention.purge(app.engine, app.config, now + timedelta(days=29)).texts_purged == 0
    report = retention.purge(app.engine, app.config, now + timedelta(days=31))
    # then: the flagged post stays without text, the harmless one is gone, the finding stays
    assert report.texts_purged == 2
    with session_scope(app.engine) as s:
        remaining = s.exec(select(PostRow)).all()
        assert [(p.native_id, p.text) for p in remaining] == [("1", None)]
        finding = s.exec(select(FindingRow)).one()
        assert (finding.masked, finding.explanation) == (masked, explanation)
        assert "Big news" not in finding.masked
        # when the flag is resolved, it goes after its own period
        finding.status, finding.resolved_at = "resolved", now + timedelta(days=32)
        s.add(finding)
    assert retention.purge(app.engine, app.config,
                           now + timedelta(days=200)).resolved_flags_deleted == 0
    report = retention.purge(app.engine, app.config, now + timedelta(days=213))
    assert report.resolved_flags_deleted == 1
    with session_scope(app.engine) as s:
        assert s.exec(select(FindingRow)).all() == [] and s.exec(select(PostRow)).all() == []
