"""Fixtures for connector tests: the local fake API server, a refused address."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from testing.fake_api import FakeSocialAPI


@pytest.fixture
def fake_api() -> Iterator[FakeSocialAPI]:
    """A fresh fake server on a free loopback port, stopped after the test."""
    with FakeSocialAPI() as api:
        yield api


@pytest.fixture
def dead_url() -> str:
    """An address where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
