"""The whole flow on the embedded default, with no credentials and no network.

A fresh SQLite database in a folder, the bundled sample employees and posts read through
the file connector, a local SMTP sink that saves what it receives, then one poll, the
immediate alerts and a digest.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.alerts import digest
from monitor.alerts.links import review_link
from monitor.app import App, open_app
from monitor.clock import utcnow
from monitor.config import packaged_config_dir
from monitor.errors import Conflict
from monitor.people import employees
from monitor.polling import poller
from monitor.service.smtp_sink import SmtpSink
from monitor.storage.db import session_scope


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    database: str
    employees: int
    posts: int
    findings: int
    immediate_sent: int
    digests_sent: int
    mail_folder: Path
    mails: int
    # The review page's address and a working sign-in link per employee (single-use).
    review_url: str = ""
    signin_links: dict[str, str] = field(default_factory=dict)


def demo_overrides(folder: Path, sink: SmtpSink) -> dict[str, Any]:
    """Settings for the demo: its own database and secret key in ``folder``, mail to ``sink``."""
    return {
        "storage": {"data_dir": str(folder), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port, "starttls": False, "tls": False,
                 "username": ""},
    }


def open_demo_app(folder: Path, sink: SmtpSink, config_dir: Path | None = None) -> App:
    """The demo's application again, e.g. to serve its review page after :func:`run_demo`."""
    return open_app(config_dir, overrides=demo_overrides(folder, sink))


def run_demo(folder: Path, config_dir: Path | None = None) -> DemoResult:
    """Run the demo in ``folder`` (must be new or empty)."""
    if folder.exists() and any(folder.iterdir()):
        raise Conflict(f"{folder} is not empty; the demo needs a fresh folder")
    folder.mkdir(parents=True, exist_ok=True)
    samples = packaged_config_dir() / "demo"
    people = tomllib.loads((samples / "employees.toml").read_text(encoding="utf-8"))["employee"]
    mail_folder = folder / "mail"
    with SmtpSink(mail_folder) as sink:
        app = open_demo_app(folder, sink, config_dir)
        with session_scope(app.engine) as s:
            for person in people:
                target = folder / "posts" / person["posts"]
                target.parent.mkdir(exist_ok=True)
                shutil.copy(samples / person["posts"], target)
                employees.add_employee(s, person["email"], person["name"], person["timezone"],
                                       app.config.settings.alerts.digest_hour,
                                       person.get("own_contacts", []), actor="demo")
                employees.opt_in(s, person["email"], actor="demo")
                employees.link_account(s, person["email"], "file", str(target), actor="demo")
        now = utcnow()
        reports = app.poller().poll_due(now=now)
        sent = app.outbox().deliver_due(now=now)
        # The digest normally waits for each person's local hour; the demo sends it now.
        digest.enqueue_due_digests(app.engine, app.config, now, ignore_hour=True)
        dsent = app.outbox().deliver_due(now=now)
        totals = poller.summarize(reports)
        with session_scope(app.engine) as s:
            signin_links = {
                person["email"]: review_link(
                    app.config, employees.get_employee(s, person["email"]).id or 0)
                for person in people
            }
        return DemoResult(
            folder=folder,
            database=app.config.settings.storage.url(),
            employees=len(people),
            posts=totals.get("new_posts", 0),
            findings=totals.get("findings", 0),
            immediate_sent=sent.sent,
            digests_sent=dsent.sent,
            mail_folder=mail_folder,
            mails=len(sink.messages),
            review_url=app.config.settings.review.base_url,
            signin_links=signin_links,
        )
