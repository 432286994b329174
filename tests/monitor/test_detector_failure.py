"""A detector that fails is recorded with the post, the others' findings still stand, and the
review page says what was not checked (the design's step 4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from classifiers.base import Finding as DetectorFinding
from classifiers.base import PostText
from classifiers.pipeline import Pipeline
from monitor.alerts.links import make_token
from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.storage.db import session_scope
from monitor.storage.models import FindingRow, PostRow
from monitor.web import create_app

TEXT = "our client Acme Corp signed with us!"


class Broken:
    """A detector whose model file is gone: it raises on every post."""

    name, version = "wording_model", "1"

    def detect(self, post: PostText) -> list[DetectorFinding]:
        raise RuntimeError("model file missing")


def test_a_failing_detector_is_recorded_and_shown_the_others_still_flag(
    db_url: str, make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app(db_url)
    working = app.pipeline
    app.__dict__["pipeline"] = Pipeline([*working.detectors, Broken()],
                                        detect_language=working.detect_language,
                                        employer=working.employer)
    posts = tmp_path / "alice.jsonl"
    posts.write_text(json.dumps({"id": "1", "text": TEXT,
                                 "created_at": "2026-11-21T09:00:00Z"}) + "\n")
    with session_scope(app.engine) as s:
        emp = employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
        employees.opt_in(s, "alice@example.com")
        employees.link_account(s, "alice@example.com", "file", str(posts))
        alice = emp.id or 0
    app.poller().poll_due()
    with Session(app.engine) as s:
        post = s.exec(select(PostRow)).one()
        assert post.failed_detectors == "wording_model"
        assert [f.category for f in s.exec(select(FindingRow)).all()] == ["confidential"]
    with TestClient(create_app(app, clock=utcnow), follow_redirects=False) as client:
        token = make_token(app.config, alice)
        page = client.get("/signin", params={"token": token})
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/signin", data={"token": token, "csrf_token": csrf})
        text = client.get("/").text
    assert "Some checks could not run on this post (wording model)" in text
