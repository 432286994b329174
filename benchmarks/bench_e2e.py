"""End to end: a post appears on the (fake) network; how long until the alert e-mail arrives?

Run: `python benchmarks/bench_e2e.py` from the repo root (`--trials 10`); about a minute.
No ../shared/data needed.

A real `social-monitor run` process (SQLite in a temp folder, `daemon.tick_seconds = 1`,
`polling.workers = 2`) polls X accounts on the local fake API server and sends alerts to the
local SMTP sink (both in this process, on loopback). Per trial a flagged post is published
for one employee's account at the moment that account becomes due (its ``next_poll_at`` is
set to now), so the figures measure our own latency, not the polling interval:

- poll-to-mail: from the fake server answering the poll that sees the post to the e-mail
  arriving at the SMTP sink (target < 5 s);
- appear-to-mail: from publishing the post to the e-mail arriving. In production the
  account is due up to ``polling.interval_minutes`` (15 by default) after a post appears,
  and that wait comes on top.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import write_result
from _scale import SECRETS

from monitor.app import open_app
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import SmtpSink, free_port
from monitor.storage.db import session_scope
from testing.fake_api import FakeSocialAPI

COMMAND = str(Path(sys.executable).parent / "social-monitor")
FLAGGED = "Our client Acme Corp signed with us today (trial {n})"
HARMLESS = "Lovely hike in the Alps this weekend, legs still hurting"
WAIT = 60.0


class Recorder:
    """Times of the fake server's requests per account and of mails arriving at the sink."""

    def __init__(self, api: FakeSocialAPI, sink: SmtpSink) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, list[float]] = {}
        self.mails: list[tuple[float, str]] = []
        count, store = api._count, sink._store

        def _count(network: str, handle: str | None) -> None:
            with self.lock:
                self.requests.setdefault((handle or "").lower(), []).append(time.time())
            count(network, handle)

        def _store(raw: bytes) -> None:
            store(raw)
            to = str(sink.messages[-1]["To"])
            with self.lock:
                self.mails.append((time.time(), to))

        api._count = _count  # type: ignore[method-assign]
        sink._store = _store  # type: ignore[method-assign]

    def mail_to(self, address: str, after: float) -> float | None:
        with self.lock:
            return next((t for t, to in self.mails if address in to and t >= after), None)

    def first_request(self, handle: str, after: float) -> float | None:
        with self.lock:
            return next((t for t in self.requests.get(handle, []) if t >= after), None)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as d, FakeSocialAPI() as api, \
            SmtpSink() as sink:
        tmp = Path(d)
        rec = Recorder(api, sink)
        port = free_port()
        config = tmp / "config"
        config.mkdir()
        (config / "settings.toml").write_text(f"""
[storage]
data_dir = "{tmp / 'data'}"
[smtp]
host = "{sink.host}"
port = {sink.port}
[polling]
interval_minutes = 1
jitter_seconds = 0
workers = 2
[daemon]
tick_seconds = 1
http_port = {port}
log_format = "json"
[networks.x]
api_base_url = "{api.url}"
timeout_seconds = 5
""", encoding="utf-8")
        app = open_app(config)
        handles = [f"trial{n:03d}" for n in range(args.trials)]
        with session_scope(app.engine) as s:
            for n, handle in enumerate(handles):
                api.add_post("x", handle, HARMLESS)
                email = f"trial{n}@example.com"
                employees.add_employee(s, email, f"Trial {n}")
                employees.opt_in(s, email, actor="bench")
                employees.link_account(s, email, "x", handle, actor="bench")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
        env.update(SECRETS)
        log = (tmp / "daemon.log").open("wb")
        proc = subprocess.Popen([COMMAND, "--config", str(config), "run"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        trials = []
        try:
            wait_for("the daemon's /healthz", lambda: healthy(port) or proc.poll() is not None)
            if proc.poll() is not None:
                raise SystemExit("the daemon exited: " + (tmp / "daemon.log").read_text()[-2000:])

            def first_polls_done() -> bool:
                with app.engine.connect() as conn:
                    return int(conn.execute(sa.text(
                        "SELECT count(*) FROM account WHERE last_polled_at IS NULL")
                    ).scalar_one()) == 0

            wait_for("the first poll of every account", first_polls_done)
            time.sleep(1.5)
            for n, handle in enumerate(handles):
                appear = time.time()
                api.add_post("x", handle, FLAGGED.format(n=n))
                with app.engine.begin() as conn:  # the account's poll time has come
                    conn.execute(sa.text("UPDATE account SET next_poll_at = :t WHERE handle = :h"),
                                 {"t": utcnow().replace(tzinfo=None), "h": handle})
                mail = wait_for(f"the alert of trial {n}",
                                lambda n=n, appear=appear: rec.mail_to(f"trial{n}@", appear), 30)
                poll = rec.first_request(handle, appear) or appear
                trials.append({"poll_to_mail_s": round(mail - poll, 3),
                               "appear_to_mail_s": round(mail - appear, 3)})
                print(f"trial {n}: poll-to-mail {mail - poll:6.2f} s, "
                      f"appear-to-mail {mail - appear:6.2f} s", flush=True)
                time.sleep(0.3)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            app.engine.dispose()
    p2m = sorted(t["poll_to_mail_s"] for t in trials)
    a2m = sorted(t["appear_to_mail_s"] for t in trials)
    summary = {
        "poll_to_mail_s": {"median": round(statistics.median(p2m), 3), "max": p2m[-1]},
        "appear_to_mail_s": {"median": round(statistics.median(a2m), 3), "max": a2m[-1]},
    }
    print(f"{'':<16}{'median':>10}{'max':>10}")
    for key, label in (("poll_to_mail_s", "poll-to-mail"), ("appear_to_mail_s", "appear-to-mail")):
        print(f"{label:<16}{summary[key]['median']:>9.2f}s{summary[key]['max']:>9.2f}s")
    path = write_result("bench_e2e", {
        "command": "python benchmarks/bench_e2e.py" + (
            f" --trials {args.trials}" if args.trials != 10 else ""),
        "trials": trials, **summary,
        "settings": {"tick_seconds": 1, "workers": 2, "interval_minutes": 1},
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
