"""Growth: do the daemon's and the review page's queries stay flat as the data grows?

Run: `python benchmarks/bench_growth.py` from the repo root (about 5 minutes on 2 cores);
`--max-accounts 10000 --max-posts 100000` for a quick run. No ../shared/data needed.

Accounts (1,000 -> 100,000, SQLite in a temp folder, one opted-in employee per account,
1,000 overdue and the rest due at random times in the next 15 minutes):
- the due-account pick (:func:`monitor.polling.scheduling.pick_due`, the tick's query), p50/p99;
- one whole tick (:meth:`monitor.service.daemon.Service.poll_tick`, one
  ``polling.batch_size`` batch) with a connector that answers "nothing new" at once, so
  only our own work is timed;
- memory: peak Python allocations during a tick (tracemalloc), and the process RSS.

Stored posts (10^5 -> 10^6, 10,000 employees with one account each, 5% of posts flagged,
a fifth of those still open; rows inserted with executemany, not the ORM):
- the review page's queries for one employee (:func:`monitor.review.flags.list_open` and
  :func:`monitor.review.flags.snoozed_count`, what ``GET /`` runs), p50/p99 (target p99 < 100 ms
  at 10^6 posts);
- the digest: composing one employee's digest (:func:`monitor.alerts.digest.compose_digest`) and
  the hourly run over every employee (:func:`monitor.alerts.digest.enqueue_due_digests`);
- the store step's lookup of a new X post (:func:`monitor.polling.store._find_post`: by native id,
  then by edit group), which every new post pays.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import write_result
from _scale import rss_mb, sqlite_size_mb

from connectors.base import AccountRef, FetchedPost, FetchResult
from monitor.alerts import digest
from monitor.app import App, open_app
from monitor.polling import scheduling, store
from monitor.review import flags
from monitor.service.daemon import Service
from monitor.service.metrics import Metrics
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow

NETWORKS = ("x", "reddit", "mastodon", "bluesky", "rss")
NOW = datetime.now(UTC).replace(microsecond=0)


class NothingNew:
    """A connector whose every account has nothing new: the tick's own cost, no network."""

    def __init__(self, network: str) -> None:
        self.network = network

    def fetch(self, account: AccountRef, cursor: str | None) -> FetchResult:
        return FetchResult(cursor=cursor or "1")

    def recheck(self, account: AccountRef, native_ids: Sequence[str]) -> FetchResult:
        return FetchResult()

    def verify(self, account: AccountRef) -> AccountRef:
        return account

    def close(self) -> None:
        pass


class StubApp(App):
    def connector_for(self, network: str) -> NothingNew:  # type: ignore[override]
        return NothingNew(network)


def timings(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm caches and statement compilation
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, max(0, int(len(samples) * 0.99) - 1))]
    return {"p50_ms": round(statistics.median(samples), 3), "p99_ms": round(p99, 3),
            "runs": runs}


def peak_alloc_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 1e6, 2)
    finally:
        tracemalloc.stop()


def ts(value: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (naive, microseconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def open_db(folder: Path) -> tuple[App, Path]:
    folder.mkdir(parents=True)
    base = open_app(overrides={"storage": {"data_dir": str(folder), "database_url": ""},
                               "daemon": {"http_port": 0}})
    return StubApp(base.config, base.engine), folder / "social-monitor.storage.db"


def raw(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def seed_people(db: Path, start: int, count: int, due: int, rng: random.Random) -> None:
    """Employees ``start+1 .. start+count``, one account each; ``due`` of them overdue."""
    now = ts(NOW)
    with raw(db) as conn:
        conn.executemany(
            "INSERT INTO employee (id, email, name, timezone, digest_hour, digest_unsubscribed,"
            " paused, own_contacts, opted_in_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ((i, f"e{i}@example.com", "", "UTC", 8, 0, 0, "[]", now, now)
             for i in range(start + 1, start + count + 1)))
        rows = []
        for i in range(start + 1, start + count + 1):
            offset = -rng.uniform(1, 60) if i - start <= due else rng.uniform(1, 900)
            rows.append((i, i, NETWORKS[i % 5], f"h{i}", f"c{i}", "active", "", 0,
                         ts(NOW + timedelta(seconds=offset)), now))
        conn.executemany(
            "INSERT INTO account (id, employee_id, network, handle, cursor, status,"
            " status_reason, failure_count, next_poll_at, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)", rows)


def make_due(db: Path, count: int) -> None:
    """Make ``count`` accounts overdue (the rest keep their times): one batch per tick."""
    with raw(db) as conn:
        conn.execute("UPDATE account SET next_poll_at = ? WHERE id IN "
                     "(SELECT id FROM account ORDER BY next_poll_at LIMIT ?)",
                     (ts(datetime.now(UTC) - timedelta(seconds=30)), count))


# -- accounts ---------------------------------------------------------------------------------


def account_growth(sizes: list[int], tmp: Path) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        app, db = open_db(tmp / f"accounts-{n}")
        due = min(n, 1000)
        seed_people(db, 0, n, due, random.Random(n))
        service = Service(app, metrics=Metrics())
        budget = app.config.settings.daemon.network_request_budget
        batch = app.config.settings.polling.batch_size

        def pick(app: App = app, budget: int = budget, batch: int = batch) -> None:
            with session_scope(app.engine) as s:
                paused = scheduling.paused_networks(s, NOW)
                scheduling.pick_due(s, datetime.now(UTC), per_network=budget, batch_size=batch,
                                    skip=paused)

        pick_t = timings(pick, 50)
        tick_ms = []
        for _ in range(4):  # 4 ticks of one full batch each; a fifth is for tracemalloc
            make_due(db, min(batch, n))
            t = time.perf_counter()
            result = service.poll_tick(wait=True)
            tick_ms.append((time.perf_counter() - t) * 1000)
            assert result.get("accounts") == min(batch, n), result
        make_due(db, min(batch, n))
        tick_alloc = peak_alloc_mb(lambda service=service: service.poll_tick(wait=True))
        service.pool.shutdown(wait=True)
        row = {"accounts": n, "pick": pick_t,
               "tick_ms_median": round(statistics.median(tick_ms), 1),
               "tick_accounts": min(batch, n),
               "tick_peak_alloc_mb": tick_alloc, "rss_mb": round(rss_mb()[0]),
               "db_size_mb": round(sqlite_size_mb(db), 1)}
        out.append(row)
        print(f"{n:>10,}{pick_t['p50_ms']:>11.2f}{pick_t['p99_ms']:>11.2f}"
              f"{row['tick_ms_median']:>12.1f}{tick_alloc:>12.2f}{row['rss_mb']:>9}", flush=True)
        app.close()
    return out


# -- posts ----------------------------------------------------------------------------------------

SAMPLE = ("Lovely hike in the Alps this weekend, legs still hurting. "
          "Big news: our client Acme Corp signed with us today")


def add_posts(db: Path, first: int, last: int, employees: int, rng: random.Random) -> None:
    """Posts ``first+1 .. last`` spread over the employees' accounts; 5% flagged, 1 in 5 of
    those still open."""
    chunk = 50_000
    with raw(db) as conn:
        for lo in range(first, last, chunk):
            hi = min(last, lo + chunk)
            posts, findings = [], []
            for pid in range(lo + 1, hi + 1):
                account = rng.randint(1, employees)
                net = NETWORKS[account % 5]
                native = f"{net}-{pid}"
                when = ts(NOW - timedelta(minutes=pid % 100_000))
                posts.append((pid, account, net, native, native if net == "x" else None,
                              f"https://example.com/{native}", SAMPLE, f"{pid:064x}", "en", 1,
                              when, when))
                if pid % 20 == 0:
                    findings.append((pid // 20, pid, "commercial", "1", "commercial",
                                     "client_deal", "C1", 70, 94, "Acme Corp", 0.8,
                                     "names a client", f"{pid:064x}", "alert",
                                     "open" if pid % 100 == 0 else "resolved", when))
            conn.executemany(
                "INSERT INTO post (id, account_id, network, native_id, group_id, url, text,"
                " content_hash, language, wording_assessed, created_at, fetched_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", posts)
            conn.executemany(
                "INSERT INTO finding (id, post_id, detector, detector_version, category, kind,"
                " rule, start, \"end\", masked, score, explanation, content_hash, decision,"
                " status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", findings)


def busiest(app: App) -> tuple[int, int]:
    """An employee with the median number of open flags, and that number."""
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.employee_id, count(*) AS n FROM finding f JOIN post p ON p.id = f.post_id"
            " JOIN account a ON a.id = p.account_id WHERE f.status = 'open'"
            " GROUP BY a.employee_id ORDER BY n, a.employee_id")).all()
    emp, n = rows[len(rows) // 2]
    return int(emp), int(n)


def post_growth(sizes: list[int], employees: int, tmp: Path) -> list[dict[str, Any]]:
    app, db = open_db(tmp / "posts")
    seed_people(db, 0, employees, 0, random.Random(1))
    rng = random.Random(2)
    out = []
    have = 0
    for n in sizes:
        t = time.perf_counter()
        add_posts(db, have, n, employees, rng)
        seed_s = time.perf_counter() - t
        have = n
        emp, open_n = busiest(app)

        def page(app: App = app, emp: int = emp) -> None:
            with session_scope(app.engine) as s:
                flags.list_open(s, app.config, emp, datetime.now(UTC))
                flags.snoozed_count(s, emp, datetime.now(UTC))

        def compose(app: App = app, emp: int = emp) -> None:
            with session_scope(app.engine) as s:
                alert = AlertRow(id=0, employee_id=emp, kind="digest", dedupe_key="bench",
                              message_id="<bench@social-monitor>")
                digest.compose_digest(s, app.config, alert, datetime.now(UTC))

        def lookup(app: App = app) -> None:
            fetched = FetchedPost(native_id=f"x-new-{random.random()}", text="hi",
                                  created_at=NOW, group_id=f"x-new-{random.random()}")
            with session_scope(app.engine) as s:
                store._find_post(s, "x", fetched)

        page_t = timings(page, 200)
        compose_t = timings(compose, 50)
        lookup_t = timings(lookup, 50)
        run_s: float | None = None
        queued = None
        if n == sizes[0]:  # one query per employee over every open flag: slow, see the page
            t = time.perf_counter()
            queued = digest.enqueue_due_digests(app.engine, app.config, NOW, ignore_hour=True)
            run_s = time.perf_counter() - t
        row = {"posts": n, "employees": employees, "open_flags_of_employee": open_n,
               "seed_seconds": round(seed_s, 1), "review_page": page_t,
               "review_page_alloc_mb": peak_alloc_mb(page), "digest_compose": compose_t,
               "digest_run_seconds": None if run_s is None else round(run_s, 2),
               "digests_queued": queued,
               "new_post_lookup": lookup_t, "db_size_mb": round(sqlite_size_mb(db), 1),
               "rss_mb": round(rss_mb()[0])}
        out.append(row)
        print(f"{n:>10,}{open_n:>6}{page_t['p50_ms']:>10.2f}{page_t['p99_ms']:>10.2f}"
              f"{compose_t['p50_ms']:>11.2f}{run_s or 0:>11.2f}{lookup_t['p50_ms']:>11.2f}"
              f"{row['db_size_mb']:>9}", flush=True)
    with app.engine.connect() as conn:
        plan = conn.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT f.id FROM finding f JOIN post p ON p.id = f.post_id"
            " JOIN account a ON a.id = p.account_id WHERE a.employee_id = 1"
            " AND f.status = 'open' AND p.deleted_at IS NULL")).all()
        lookup_plan = conn.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT id FROM post WHERE network = 'x' AND group_id = 'g'")).all()
    print("review query plan:", json.dumps([r[-1] for r in plan]))
    print("new-post lookup plan:", json.dumps([r[-1] for r in lookup_plan]))
    out[-1]["review_query_plan"] = [r[-1] for r in plan]
    out[-1]["lookup_query_plan"] = [r[-1] for r in lookup_plan]
    app.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-accounts", type=int, default=100_000)
    parser.add_argument("--max-posts", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=10_000)
    args = parser.parse_args()
    logging.getLogger("monitor").addHandler(logging.NullHandler())
    acc_sizes = [n for n in (1_000, 10_000, 100_000) if n <= args.max_accounts]
    post_sizes = [n for n in (100_000, 300_000, 1_000_000) if n <= args.max_posts]
    post_sizes = post_sizes or [args.max_posts]
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as d:
        tmp = Path(d)
        print("accounts   pick p50   pick p99   tick (ms)  tick alloc   RSS MB")
        accounts = account_growth(acc_sizes, tmp)
        print("   posts  open  page p50  page p99  digest p50  digest run  lookup p50  db MB")
        posts = post_growth(post_sizes, args.employees, tmp)
    command = "python benchmarks/bench_growth.py"
    if args.max_accounts != 100_000:
        command += f" --max-accounts {args.max_accounts}"
    if args.max_posts != 1_000_000:
        command += f" --max-posts {args.max_posts}"
    path = write_result("bench_growth", {"command": command, "accounts": accounts,
                                         "posts": posts, "peak_rss_mb": round(rss_mb()[1])})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
