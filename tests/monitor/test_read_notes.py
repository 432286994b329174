"""A connector's notes on how a post was read are kept with the post (issue 15 item 6): an
export row or feed entry without a readable date gets the read time, and the post says so."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select

from monitor.app import App
from monitor.people import employees
from monitor.storage.db import session_scope
from monitor.storage.models import PostRow

SAMPLE = Path(__file__).resolve().parents[1] / "connectors" / "samples_linkedin" / "export"


def test_an_undated_row_is_stored_with_the_note_that_says_so(
    db_url: str, make_app: Callable[..., App], tmp_path: Path
) -> None:
    """Synthetic LinkedIn export (tests/connectors/samples_linkedin, built from the
    documented columns); one Shares.csv row has the date 'not a date'."""
    folder = tmp_path / "drops" / "export"
    shutil.copytree(SAMPLE, folder)
    app = make_app(db_url)
    with session_scope(app.engine) as s:
        employees.add_employee(s, "ann@example.com", "Ann", "Europe/Paris")
        employees.opt_in(s, "ann@example.com")
        employees.link_account(s, "ann@example.com", "linkedin-export", str(folder))
    [report] = app.poller().poll_due()
    assert report.outcome == "ok", report
    with Session(app.engine) as s:
        posts = s.exec(select(PostRow)).all()
    noted = {p.native_id: json.loads(p.read_notes) for p in posts if p.read_notes}
    assert list(noted.values()) == [{
        "created_at": "archive time",
        "created_at_reason": "the export's date 'not a date' could not be read",
    }]
    assert len(posts) > len(noted)  # dated rows carry no note
