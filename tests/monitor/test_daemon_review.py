"""`social-monitor run` with ``review.serve_with_daemon``: one process polls, alerts and
serves the review page; the sign-in link in its e-mail opens that page; SIGTERM stops both.

A real process against a config folder in tmp_path (SQLite, a file account, a real SMTP
sink); every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from test_daemon_process import COMMAND, WAIT, wait_for

from monitor.app import open_app
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _config(tmp: Path, sink: SmtpSink, review_port: int, serve: bool) -> Path:
    config, data = tmp / "config", tmp / "data"
    config.mkdir()
    (config / "settings.toml").write_text(f"""
[storage]
data_dir = "{data}"
[smtp]
host = "{sink.host}"
port = {sink.port}
[daemon]
tick_seconds = 1
http_port = {free_port()}
[review]
base_url = "http://127.0.0.1:{review_port}"
port = {review_port}
serve_with_daemon = {str(serve).lower()}
""", encoding="utf-8")
    posts = tmp / "alice.jsonl"
    posts.write_text(json.dumps({"id": "1", "text": "Big news: our client Acme Corp signed",
                                 "created_at": "2026-11-20T08:00:00Z"}) + "\n")
    app = open_app(config)
    with session_scope(app.engine) as s:
        employees.add_employee(s, "alice@example.com", "Alice")
        employees.opt_in(s, "alice@example.com", actor="test")
        employees.link_account(s, "alice@example.com", "file", str(posts), actor="test")
    app.engine.dispose()
    return config


def _start(config: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    return subprocess.Popen([COMMAND, "--config", str(config), "run"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_run_serves_the_review_page_and_stops_it_on_sigterm(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    proc = _start(_config(tmp_path, smtp_sink, port, serve=True))
    kill_after.append(proc)
    base = f"http://127.0.0.1:{port}"
    wait_for("the review page", lambda: listening(port) and get(f"{base}/healthz")[0] == 200)
    wait_for("the alert e-mail", lambda: len(smtp_sink.messages) >= 1)
    # the sign-in link in the e-mail opens the page the daemon serves
    plain = smtp_sink.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://\S+/signin\?token=\S+", plain)
    assert link is not None and link.group(0).startswith(base)
    status, page = get(link.group(0))
    assert status == 200 and "alice@example.com" in page
    # when: SIGTERM
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=WAIT)
    # then: exit 0, the page is gone, and no token or post text in the logs
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert not listening(port)
    msgs = {json.loads(line)["msg"] for line in err.splitlines() if line.strip()}
    assert {"daemon started", "review page started", "daemon stopped"} <= msgs
    token = link.group(0).split("token=", 1)[1]
    assert token not in err and "Acme Corp" not in err


def test_run_does_not_serve_the_page_unless_configured(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    proc = _start(_config(tmp_path, smtp_sink, port, serve=False))
    kill_after.append(proc)
    wait_for("the alert e-mail", lambda: len(smtp_sink.messages) >= 1)
    assert not listening(port)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, err


def test_run_refuses_to_start_when_the_review_port_is_taken(
    tmp_path: Path, smtp_sink: SmtpSink, kill_after: list[subprocess.Popen[str]]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _start(_config(tmp_path, smtp_sink, port, serve=True))
        kill_after.append(proc)
        _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode != 0
    assert f"the review page could not start on http://127.0.0.1:{port}" in err
