"""Fixtures of the fault suite: a World per test (closed afterwards), and the PostgreSQL
fixtures of tests/monitor/conftest.py (a fresh database per test; skips without a server)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import World

_spec = importlib.util.spec_from_file_location(
    "monitor_tests_conftest", Path(__file__).resolve().parents[1] / "monitor" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_monitor_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_monitor_conftest)
pg_server = _monitor_conftest.pg_server
pg_url = _monitor_conftest.pg_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.close()
        w.check_logs()  # no post text in any log line, even when the test failed early
