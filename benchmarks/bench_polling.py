"""Polling at scale: one full cycle over 10,000 accounts on the local fake API server.

Run: `python benchmarks/bench_polling.py` from the repo root (`--accounts 500` for a quick run,
`--no-postgres` to skip the scale-out part). Uses real tweets from ../shared/data as post
texts when present, else a small built-in mix.

Embedded (SQLite in a temp folder): the daemon's own tick, :meth:`monitor.service.daemon.Service.
poll_tick` with its worker pool, run back to back until no account is due (the real daemon
runs it every ``daemon.tick_seconds``; see "scheduled cycle" below). Three cycles:

1. first poll: every account is new and has one post (ids resolved, backlog stored);
2. no new posts: the steady state (target: < 60 s at 10,000 accounts);
3. realistic mix: most accounts have nothing new, 10% have 1-3 new posts, 2% a backlog of
   120 (several pages), 0.1% answer 429 (reset 3 s later: the network rests, then resumes)
   and 0.5% answer 503 once (backed off to a later cycle).

The fake server runs in a child process, so the figures are the daemon's alone (time, peak
RSS). Scale-out: the same first and steady cycles with 2 `social-monitor worker` processes
(procrastinate) on a fresh database in the PostgreSQL at 127.0.0.1:5432 (skipped with a
message if it is not reachable).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import write_result
from _scale import (
    SECRETS,
    RemoteFakeAPI,
    SeedAccount,
    environment,
    make_all_due,
    network_options,
    population,
    rss_mb,
    seed_accounts,
    sqlite_size_mb,
    texts,
)

from monitor.app import open_app
from monitor.clock import utcnow
from monitor.service.daemon import Service
from monitor.service.metrics import Metrics
from monitor.service.smtp_sink import SmtpSink
from monitor.settings import Settings

PG_ADMIN = os.environ.get("SOCIAL_MONITOR_BENCH_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COMMAND = str(Path(sys.executable).parent / "social-monitor")
CYCLE_CAP_SECONDS = 900.0  # a cycle never runs longer than this (benchmarks are bounded)


def _pending(engine: sa.engine.Engine, horizon_s: float = 5.0) -> set[str]:
    """Networks with active accounts due now or within ``horizon_s`` (a reset about to pass)."""
    with engine.connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT DISTINCT network FROM account WHERE status = 'active' AND next_poll_at <= :t"),
            {"t": (utcnow() + timedelta(seconds=horizon_s)).replace(tzinfo=None)}).scalars())


def run_cycle(service: Service, engine: sa.engine.Engine) -> dict[str, Any]:
    """Tick back to back until nothing is due; returns time, ticks and the poll totals.

    Accounts whose whole network rests on a rate limit longer than the cycle are left for
    later and named in ``left_resting``: the server sets that wait, not our code.
    """
    totals: Counter[str] = Counter()
    ticks = 0
    resting: set[str] = set()
    start = time.perf_counter()
    while time.perf_counter() - start < CYCLE_CAP_SECONDS:
        result = service.poll_tick(wait=True)
        ticks += 1
        totals.update(result)
        if not result.get("accounts"):
            pending = _pending(engine)
            resting = pending & service.rests.resting(utcnow())
            if not pending - resting:
                break
            time.sleep(0.2)  # a short rest or a spent budget: the next tick goes on
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "ticks": ticks, "totals": dict(totals),
            "complete": seconds < CYCLE_CAP_SECONDS, "left_resting": sorted(resting)}


def program_mix(api: RemoteFakeAPI, pop: list[SeedAccount], corpus: list[str],
                rng: random.Random) -> dict[str, int]:
    """New posts, backlogs, 429s and 503s on a realistic share of the accounts."""
    shuffled = list(pop)
    rng.shuffle(shuffled)
    n = len(pop)
    few = shuffled[: n // 10]
    pages = shuffled[n // 10: n // 10 + max(1, n // 50)]
    limited = shuffled[n // 10 + max(1, n // 50):][: max(1, n // 1000)]
    failing = shuffled[n // 10 + max(1, n // 50) + max(1, n // 1000):][: max(1, n // 200)]
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    for a in few:
        for _ in range(rng.randint(1, 3)):
            calls.append(("add_post", (a.network, a.handle, rng.choice(corpus)), {}))
    for a in pages:
        for _ in range(120):
            calls.append(("add_post", (a.network, a.handle, rng.choice(corpus)), {}))
    reset = utcnow() + timedelta(seconds=3)
    for a in limited:
        # Retry-After too: a feed's 429 has no reset header, and without one the RSS
        # connector rests the network for a default window the cycle would wait out.
        calls.append(("fail", (a.network, 429), {"times": 1, "handle": a.handle,
                                                   "reset_at": reset, "retry_after": 3}))
    for a in failing:
        calls.append(("fail", (a.network, 503), {"times": 1, "handle": a.handle}))
    api.bulk(calls)
    return {"accounts_with_new_posts": len(few), "accounts_with_backlog_120": len(pages),
            "rate_limited": len(limited), "server_errors": len(failing),
            "posts_added": sum(1 for c in calls if c[0] == "add_post")}


def embedded(args: argparse.Namespace, api: RemoteFakeAPI, pop: list[SeedAccount],
             corpus: list[str], tmp: Path, sink: SmtpSink) -> dict[str, Any]:
    overrides = {
        "storage": {"data_dir": str(tmp / "data"), "database_url": ""},
        "smtp": {"host": sink.host, "port": sink.port},
        "polling": {"workers": args.workers, "batch_size": args.batch_size},
        "daemon": {"http_port": 0},
        "networks": network_options(api.url),
    }
    with environment(SECRETS):
        app = open_app(overrides=overrides)
    seed_accounts(app.engine, pop, utcnow())
    service = Service(app, metrics=Metrics())
    app.pipeline.classify  # noqa: B018 - load the models before timing
    rows = []
    for name in ("first poll", "no new posts", "realistic mix"):
        mix = None
        if name != "first poll":
            make_all_due(app.engine, utcnow())
        if name == "realistic mix":
            mix = program_mix(api, pop, corpus, random.Random(11))
        before = api.call("requests_total")
        cycle = run_cycle(service, app.engine)
        cycle["requests"] = api.call("requests_total") - before
        t = cycle["totals"]
        cycle.update({
            "cycle": name,
            "accounts_per_second": round(t.get("accounts", 0) / cycle["seconds"], 1),
            "posts_stored": t.get("new_posts", 0),
            "posts_per_second": round(t.get("new_posts", 0) / cycle["seconds"], 1),
            "findings": t.get("findings", 0),
            "rss_mb_after": round(rss_mb()[0]),
        })
        if mix:
            cycle["mix"] = mix
        rows.append(cycle)
        print(f"  {name:<16}{cycle['seconds']:>9.1f} s  {t.get('accounts', 0):>7} polls  "
              f"{cycle['posts_stored']:>7} posts  {cycle['requests']:>7} requests", flush=True)
        # Keep what is measured so far: a long run stopped by hand still leaves its figures.
        write_result("bench_polling.partial", {"accounts": len(pop), "cycles": rows})
    db = Path(app.config.settings.storage.url().removeprefix("sqlite:///"))
    size = sqlite_size_mb(db)
    with app.engine.connect() as conn:
        stored = int(conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one())
    service.pool.shutdown(wait=True)
    app.close()
    return {"cycles": rows, "db_size_mb": round(size, 1), "posts_in_db": stored,
            "peak_rss_mb": round(rss_mb()[1])}


# -- scale-out on PostgreSQL ---------------------------------------------------------------------


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # the reason is printed
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    out = f"[{prefix}]\n" if prefix and scalars else ""
    for k, v in scalars.items():
        out += f"{k} = {v!r}\n".replace("'", '"') if isinstance(v, str) else f"{k} = {v}\n"
    for k, v in data.items():
        if isinstance(v, dict):
            out += _toml(v, f"{prefix}.{k}" if prefix else k)
    return out


def _handled_since(engine: sa.engine.Engine, since: Any) -> int:
    """Accounts polled (or failed, or found unavailable) since ``since``: no longer due."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM account WHERE next_poll_at > :t OR status != 'active'"),
            {"t": since.replace(tzinfo=None)}).scalar_one())


def scaleout(args: argparse.Namespace, api: RemoteFakeAPI, pop: list[SeedAccount], tmp: Path,
             sink: SmtpSink) -> dict[str, Any]:
    reason = _pg_reachable()
    if reason:
        print(f"  skipped: no PostgreSQL at {PG_ADMIN} ({reason})")
        return {"skipped": f"PostgreSQL not reachable at {PG_ADMIN}: {reason}"}
    name = f"sm_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    config = tmp / "pg-config"
    config.mkdir()
    settings = {
        "storage": {"database_url": url, "data_dir": str(tmp / "pg-data")},
        "smtp": {"host": sink.host, "port": sink.port},
        "polling": {"workers": args.workers, "batch_size": args.pg_batch_size},
        "daemon": {"mode": "procrastinate", "tick_seconds": 1, "http_port": 0,
                   "procrastinate_schema": "sm_jobs"},
        "networks": network_options(api.url),
    }
    (config / "settings.toml").write_text(_toml(settings), encoding="utf-8")
    procs: list[subprocess.Popen[bytes]] = []
    result: dict[str, Any] = {"workers": args.pg_workers, "batch_size": args.pg_batch_size,
                              "tick_seconds": 1, "concurrency_per_worker": args.workers}
    try:
        app = open_app(config)  # creates our schema
        seed_accounts(app.engine, pop, utcnow())
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
        env.update(SECRETS)
        env["SOCIAL_MONITOR_LOGGING__LEVEL"] = "WARNING"
        for i in range(args.pg_workers):
            log = (tmp / f"worker{i}.log").open("wb")
            procs.append(subprocess.Popen(
                [COMMAND, "--config", str(config), "worker", "--name", f"bench{i}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        rows = []
        for cycle in ("first poll", "no new posts"):
            start_at = utcnow()
            if cycle != "first poll":
                make_all_due(app.engine, start_at)
            t0 = time.perf_counter()
            done = 0
            while time.perf_counter() - t0 < CYCLE_CAP_SECONDS:
                done = _handled_since(app.engine, start_at)
                if done >= len(pop) or any(p.poll() is not None for p in procs):
                    break
                time.sleep(0.25)
            seconds = time.perf_counter() - t0
            rows.append({"cycle": cycle, "seconds": round(seconds, 2), "polled": done,
                         "complete": done >= len(pop),
                         "accounts_per_second": round(done / seconds, 1)})
            print(f"  {cycle:<16}{seconds:>9.1f} s  {done:>7} polls (2 workers)", flush=True)
        with app.engine.connect() as conn:
            posts = int(conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one())
            size = int(conn.execute(sa.text("SELECT pg_database_size(current_database())")
                                    ).scalar_one())
        result.update({"cycles": rows, "posts_in_db": posts, "db_size_mb": round(size / 1e6, 1),
                       "worker_peak_rss_mb": [round(rss_mb(p.pid)[1]) for p in procs]})
        app.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return result


def main() -> None:
    defaults = Settings().polling
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help="polling.workers (threads; default: the shipped setting)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size,
                        help="polling.batch_size (default: the shipped setting)")
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--pg-batch-size", type=int, default=1000,
                        help="polling.batch_size for the scale-out dispatcher")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    # Poll failures are part of the mix: keep the table readable (counts are in the totals).
    logging.getLogger("monitor").addHandler(logging.NullHandler())
    corpus, source = texts()
    with RemoteFakeAPI() as api, tempfile.TemporaryDirectory(prefix="bench-polling-") as d, \
            SmtpSink() as sink:
        tmp = Path(d)
        pop = population(args.accounts, api.url)
        rng = random.Random(3)
        api.bulk([c for a in pop for c in (
            ("add_account", (a.network, a.handle), {}),
            ("add_post", (a.network, a.handle, rng.choice(corpus)), {}))])
        print(f"{args.accounts:,} accounts {dict(Counter(a.network for a in pop))}; "
              f"workers {args.workers}, batch {args.batch_size}")
        print("embedded daemon (SQLite):")
        emb = embedded(args, api, pop, corpus, tmp, sink)
        print(f"  database {emb['db_size_mb']} MB ({emb['posts_in_db']:,} posts), "
              f"peak RSS {emb['peak_rss_mb']} MB")
        pg: dict[str, Any] = {"skipped": "--no-postgres"}
        if args.no_postgres:
            print("scale-out: skipped (--no-postgres)")
        else:
            print(f"scale-out: {args.pg_workers} procrastinate workers on PostgreSQL:")
            pg = scaleout(args, api, pop, tmp, sink)
    shipped = Settings().daemon.tick_seconds
    steady = next(c for c in emb["cycles"] if c["cycle"] == "no new posts")
    scheduled = max(steady["seconds"], math.ceil(args.accounts / args.batch_size) * shipped)
    print(f"scheduled cycle with tick_seconds={shipped}, batch_size={args.batch_size}: "
          f">= {scheduled:.0f} s (one batch per tick)")
    path = write_result("bench_polling", {
        "accounts": args.accounts, "networks": dict(Counter(a.network for a in pop)),
        "texts": source, "settings": {"workers": args.workers, "batch_size": args.batch_size,
                                      "network_request_budget": Settings().daemon
                                      .network_request_budget},
        "command": "python benchmarks/bench_polling.py" + (
            f" --accounts {args.accounts}" if args.accounts != 10_000 else ""),
        "embedded": emb, "scaleout": pg,
        "scheduled_cycle_seconds_shipped_tick": scheduled, "shipped_tick_seconds": shipped,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
