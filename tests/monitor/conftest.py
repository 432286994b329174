"""Fixtures for the application: a database on SQLite or the real PostgreSQL, an app, SMTP."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import CHROMIUM, CHROMIUM_ARGS

from monitor.app import App, open_app
from monitor.service.smtp_sink import SmtpSink

PG_ADMIN_URL = os.environ.get(
    "SOCIAL_MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # the reason is shown in the skip message
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_server() -> str:
    reason = _pg_available()
    if reason:
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL} ({reason}); .ci/run starts one")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "mail") as sink:
        yield sink


@pytest.fixture
def make_app(tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[object]:
    """Build an App on a given database URL, sending mail to the test's SMTP sink."""
    apps: list[App] = []

    def _make(url: str | None = None, **sections: dict[str, object]) -> App:
        overrides: dict[str, object] = {
            "storage": {"data_dir": str(tmp_path / "data"), "database_url": url or ""},
            "smtp": {"host": smtp_sink.host, "port": smtp_sink.port},
            "networks": {"file": {"base_dir": str(tmp_path)}},
        }
        overrides.update(sections)
        app = open_app(overrides=overrides)
        apps.append(app)
        return app

    yield _make
    for app in apps:
        app.engine.dispose()


@pytest.fixture
def kill_after() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started; any still running at the end are killed."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.communicate(timeout=60)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the test's own, and the test's folder as the working directory."""
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
