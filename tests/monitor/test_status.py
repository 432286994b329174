"""`status`: the service at a glance, from the database, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.app import App, open_app
from monitor.cli import cli
from monitor.clock import utcnow
from monitor.people import employees
from monitor.polling import scheduling
from monitor.service import status
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope


def _populated(tmp_path: Path, sink: SmtpSink) -> tuple[Path, App]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[smtp]\nhost = "{sink.host}"\nport = {sink.port}\n', encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "1", "text": "our client Acme Corp signed today",
                                 "created_at": "2026-11-20T08:00:00Z"}) + "\n")
    app = open_app(config)
    with session_scope(app.engine) as s:
        employees.add_employee(s, "a@example.com", "A")
        employees.opt_in(s, "a@example.com", actor="test")
        employees.link_account(s, "a@example.com", "file", str(posts), actor="test")
        employees.add_employee(s, "b@example.com", "B")
        employees.opt_in(s, "b@example.com", actor="test")
        employees.link_account(s, "b@example.com", "file", str(tmp_path / "b.jsonl"),
                               actor="test")
    app.poller().poll_due()
    now = utcnow()
    with session_scope(app.engine) as s:
        scheduling.pause_network(s, "x", now.replace(year=now.year + 1), "AuthFailed", now)
    return config, app


def test_snapshot_counts(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    _, app = _populated(tmp_path, smtp_sink)
    snap = status.snapshot(app.engine, utcnow(), status.lock_path(app.config.settings.storage))
    assert snap.accounts_by_status == {"active": 1, "unavailable": 1}
    assert snap.open_findings_by_category == {"confidential": 1}
    assert snap.alerts_by_status == {"queued": 1} and snap.queue_depth == 1
    assert snap.posts == snap.posts_with_text == 1
    assert set(snap.paused_networks) == {"x"}
    assert snap.daemon_pid is None
    app.outbox().deliver_due()
    snap = status.snapshot(app.engine, utcnow())
    assert snap.alerts_by_status == {"sent": 1} and snap.queue_depth == 0


def test_status_command_table_and_json(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    config, _ = _populated(tmp_path, smtp_sink)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "status"])
    assert result.exit_code == 0, result.output
    assert "daemon: not running" in result.output
    assert "network x paused" in result.output
    assert "confidential" in result.output
    result = runner.invoke(cli, ["--config", str(config), "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["alerts_by_status"] == {"queued": 1}
    assert data["accounts_due"] == 0
    assert "Acme" not in result.output
