"""One error tree: every MonitorError kind is drawn in the errors module's docstring, library
errors stop at the storage boundary, and a database outage is one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from monitor import errors
from monitor.errors import MonitorError, StorageUnavailable
from monitor.service.smtp_sink import free_port
from monitor.storage.db import make_engine, session_scope


def _kinds(root: type[MonitorError]) -> set[type[MonitorError]]:
    found = {root}
    for sub in root.__subclasses__():
        if sub.__module__.startswith("monitor"):
            found |= _kinds(sub)
    return found


def test_every_kind_is_in_the_drawn_tree_with_what_the_caller_does() -> None:
    doc = errors.__doc__ or ""
    for kind in _kinds(MonitorError):
        assert f"── {kind.__name__}" in doc or kind is MonitorError, kind.__name__
        assert kind.__doc__ and kind.__doc__.strip(), f"{kind.__name__} says nothing"
        assert kind.__module__ == "monitor.errors", f"{kind.__name__} lives apart from the tree"


def test_a_refused_database_is_storage_unavailable_without_the_password() -> None:
    url = f"postgresql+psycopg://monitor:hunter2@127.0.0.1:{free_port()}/nothing"
    engine = make_engine(url)
    try:
        with pytest.raises(StorageUnavailable) as caught, session_scope(engine) as s:
            s.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
    assert "database unavailable" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_cli_says_one_line_when_the_database_is_down() -> None:
    url = f"postgresql+psycopg://monitor:hunter2@127.0.0.1:{free_port()}/nothing"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    env["SOCIAL_MONITOR_STORAGE__DATABASE_URL"] = url
    result = subprocess.run([sys.executable, "-m", "monitor", "status"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database unavailable"), lines
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
