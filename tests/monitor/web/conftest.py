"""Fixtures for the review page: an app on SQLite with two employees and their flags."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from web_helpers import NOW, TestClient, World, build_world, serving

from monitor.app import App
from monitor.service.smtp_sink import free_port
from monitor.web import create_app


@pytest.fixture
def world(make_app: Callable[..., App]) -> World:
    return build_world(make_app())


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    api = create_app(world.app, clock=lambda: NOW)
    with TestClient(api, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def served(make_app: Callable[..., App]) -> Iterator[tuple[str, World]]:
    """The review page on a free port (real HTTP), its links pointing at that port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world = build_world(make_app(review={"base_url": base, "port": port}))
    with serving(create_app(world.app, clock=lambda: NOW), port):
        yield base, world
