"""The daemon keeps going through a PostgreSQL restart.

A private PostgreSQL server (initdb in a temporary folder, its own port) is started for this
test, so stopping it disturbs nobody else. The daemon runs as a real process against it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_daemon_process import COMMAND, FLAGGED, stop, wait_for

from monitor.app import open_app
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class PrivatePostgres:
    def __init__(self) -> None:
        if not BIN or (not shutil.which("runuser") and os.geteuid() == 0):
            pytest.skip("needs PostgreSQL's server binaries (Debian postgresql package)")
        self.bin = Path(BIN[-1])
        # postgres refuses to run as root; its folder must be reachable by its own user.
        self.dir = Path(tempfile.mkdtemp(prefix="sm-pg-", dir="/tmp"))
        self.port = free_port()
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                  "-U", "postgres", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", opts,
                  "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w",
                  "stop")

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pg.cleanup()
        pytest.skip(f"could not start a private PostgreSQL server: {exc}")
    yield pg
    pg.cleanup()


@pytest.mark.postgres
def test_daemon_survives_a_database_restart_and_then_alerts_once(
    tmp_path: Path, smtp_sink: SmtpSink, private_pg: PrivatePostgres
) -> None:
    # given a daemon on PostgreSQL with one linked account whose owner has not opted in yet
    config, http_port = tmp_path / "config", free_port()
    config.mkdir()
    (config / "settings.toml").write_text(f"""
[storage]
data_dir = "{tmp_path / 'data'}"
database_url = "{private_pg.url}"
[smtp]
host = "{smtp_sink.host}"
port = {smtp_sink.port}
[daemon]
tick_seconds = 1
http_port = {http_port}
""", encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        f'{{"id": "1", "text": "{FLAGGED[0]}", "created_at": "2026-11-20T08:00:00Z"}}\n'
    )
    app = open_app(config)
    with session_scope(app.engine) as s:
        employees.add_employee(s, "ana@example.com", "Ana")
        employees.link_account(s, "ana@example.com", "file", str(posts))
    app.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    # Logs go to a file: failing ticks log tracebacks, more than a pipe holds unread.
    log_file = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen([COMMAND, "--config", str(config), "run"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=log_file, start_new_session=True)
    try:
        wait_for("/healthz", lambda: _healthy(http_port))
        # when the database goes away for several ticks and comes back
        private_pg.stop()
        time.sleep(3)  # three ticks fail against the stopped server
        assert proc.poll() is None, "the daemon died when the database went away"
        private_pg.start()
        assert proc.poll() is None, "the daemon died with the database"
        # and the employee opts in afterwards
        engine = sa.create_engine(private_pg.url)
        with session_scope(engine) as s:
            employees.opt_in(s, "ana@example.com")
        engine.dispose()
        # then the daemon, with fresh connections, polls and alerts exactly once
        wait_for("the alert e-mail", lambda: len(smtp_sink.messages) >= 1)
        code, out, _ = stop(proc)
        assert code == 0, out + (tmp_path / "daemon.log").read_text()[-3000:]
        assert len(smtp_sink.messages) == 1
        logged = (tmp_path / "daemon.log").read_text()
        assert "OperationalError" in logged  # the outage was seen, and lived through
        assert FLAGGED[0] not in logged
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
        log_file.close()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
