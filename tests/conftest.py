"""Fixtures shared by every test: clean environment, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout; CI lays a copy there. SOCIAL_MONITOR_SHARED overrides.
SHARED = Path(os.environ.get("SOCIAL_MONITOR_SHARED", REPO.parent / "shared"))
SHARED_DATA = SHARED / "data"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the environment: no test may see another's or the machine's."""
    for key in list(os.environ):
        if key.startswith("SOCIAL_MONITOR_") and key != "SOCIAL_MONITOR_SHARED":
            monkeypatch.delenv(key)


@pytest.fixture
def shared_data() -> Path:
    """The labelled data and recordings in ../shared/data; skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs ../shared/data (looked in {SHARED_DATA}); CI provides it")
    return SHARED_DATA
