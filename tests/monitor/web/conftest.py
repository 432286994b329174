"""Fixtures for the review page: an app on SQLite with two employees and their flags."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from web_helpers import NOW, TestClient, World, build_world

from monitor.app import App
from monitor.web import create_app


@pytest.fixture
def world(make_app: Callable[..., App]) -> World:
    return build_world(make_app())


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    api = create_app(world.app, clock=lambda: NOW)
    with TestClient(api, base_url="http://testserver", follow_redirects=False) as c:
        yield c
