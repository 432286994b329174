"""Shared bits of the scale benchmarks: the fake API in its own process, bulk seeding, memory.

The fake social API runs in a child process so the daemon's CPU time and peak memory are
measured without the server's (in production the networks are somebody else's machines).
The child is driven over a pipe: ``api.call("add_post", "x", "alice", "hi")``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import resource
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import SHARED_DATA, read_tsv

from monitor.storage.models import AccountRow, EmployeeRow
from testing.fake_api import FakeSocialAPI

NETWORK_MIX = {"x": 0.30, "reddit": 0.20, "mastodon": 0.20, "bluesky": 0.15, "rss": 0.15}
SECRETS = {
    "SOCIAL_MONITOR_X_BEARER_TOKEN": "bench-token",
    "SOCIAL_MONITOR_REDDIT_CLIENT_ID": "bench-id",
    "SOCIAL_MONITOR_REDDIT_CLIENT_SECRET": "bench-secret",
}
FALLBACK_TEXTS = [
    "Lovely hike in the Alps this weekend, legs still hurting",
    "Coffee first, then the quarterly planning meeting",
    "Big news: our client Acme Corp signed with us today",
    "Anyone else watching the match tonight?",
    "Reading a great book on distributed systems",
    "Call me on +1 415 555 0134 if you want the details",
    "Sneak peek: #ProjectFalcon is going to blow your minds next spring",
    "Sunny day in the park with the kids",
]


def texts(limit: int = 5000) -> tuple[list[str], str]:
    """Real tweets from ../shared/data if present (else a small built-in mix), and the source."""
    path = SHARED_DATA / "tweeteval/offensive/train.tsv"
    if path.is_file():
        return [t for _, t in read_tsv(path)][:limit], "tweeteval offensive train"
    return FALLBACK_TEXTS, "built-in sample (../shared/data absent)"


# -- the fake API in a child process ------------------------------------------------------------


def _serve(conn: Connection) -> None:
    api = FakeSocialAPI().start()
    conn.send(api.url)
    while True:
        msg = conn.recv()
        if msg is None:
            break
        name, args, kwargs = msg
        try:
            if name == "bulk":  # many calls in one round trip: [(name, args, kwargs), ...]
                for n, a, k in args[0]:
                    getattr(api, n)(*a, **k)
                conn.send(("ok", None))
            else:
                result = getattr(api, name)(*args, **kwargs)
                conn.send(("ok", result if name in ("requests_total", "requests_for") else None))
        except Exception as exc:  # shown to the benchmark, which stops
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    api.stop()
    conn.send(("ok", None))


class RemoteFakeAPI:
    """A :class:`FakeSocialAPI` in a child process (fork), driven by method name."""

    def __init__(self) -> None:
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="fake-social-api", daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()
        self.pid = self._proc.pid

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((name, args, kwargs))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"fake API: {value}")
        return value

    def bulk(self, calls: Iterable[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        batch: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        for c in calls:
            batch.append(c)
            if len(batch) >= 2000:
                self.call("bulk", batch)
                batch = []
        if batch:
            self.call("bulk", batch)

    def close(self) -> None:
        if self._proc.is_alive():
            self._conn.send(None)
            self._conn.recv()
            self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()

    def __enter__(self) -> RemoteFakeAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the population -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedAccount:
    network: str
    handle: str  # the handle in the fake server
    stored_handle: str  # the handle stored in our table (RSS: the feed URL)


def population(n: int, url: str, seed: int = 7) -> list[SeedAccount]:
    """``n`` accounts across the networks in :data:`NETWORK_MIX` proportions."""
    rng = random.Random(seed)
    nets, weights = zip(*NETWORK_MIX.items(), strict=True)
    out = []
    for i in range(n):
        net = rng.choices(nets, weights)[0]
        handle = f"user{i:06d}"
        stored = f"{url}/feeds/{handle}.xml" if net == "rss" else handle
        out.append(SeedAccount(net, handle, stored))
    return out


def network_options(url: str) -> dict[str, Any]:
    """``[networks]`` settings pointing every connector at the fake server."""
    return {
        "x": {"api_base_url": url, "timeout_seconds": 10},
        "reddit": {"oauth_url": url, "reddit_url": url, "timeout_seconds": 10},
        "mastodon": {"api_base_url": url, "timeout_seconds": 10},
        "bluesky": {"api_base_url": url, "timeout_seconds": 10},
        "rss": {"timeout_seconds": 10},
    }


def seed_accounts(engine: sa.engine.Engine, accounts: list[SeedAccount], now: datetime,
                  chunk: int = 5000) -> None:
    """One opted-in employee per account, inserted with executemany (not the ORM)."""
    emp, acc = EmployeeRow.__table__, AccountRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        start = int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM employee")).scalar_one())
        for lo in range(0, len(accounts), chunk):
            part = accounts[lo:lo + chunk]
            conn.execute(sa.insert(emp), [{
                "id": start + lo + j + 1, "email": f"bench{start + lo + j}@example.com",
                "name": "", "timezone": "UTC", "digest_hour": 8, "digest_unsubscribed": False,
                "paused": False, "own_contacts": "[]", "opted_in_at": now, "opted_out_at": None,
                "created_at": now} for j in range(len(part))])
            conn.execute(sa.insert(acc), [{
                "employee_id": start + lo + j + 1, "network": a.network, "handle": a.stored_handle,
                "native_id": None, "cursor": None, "status": "active", "status_reason": "",
                "failure_count": 0, "next_poll_at": now, "last_polled_at": None,
                "created_at": now} for j, a in enumerate(part)])


def make_all_due(engine: sa.engine.Engine, now: datetime) -> None:
    """The polling interval has passed for everyone: every account is due again."""
    acc = AccountRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(sa.update(acc).values(next_poll_at=now, failure_count=0))


# -- memory and files ----------------------------------------------------------------------------


def rss_mb(pid: int | None = None) -> tuple[float, float]:
    """(current, peak) resident memory in MB of ``pid`` (default: this process), from /proc."""
    path = Path(f"/proc/{pid or 'self'}/status")
    cur = peak = 0.0
    try:
        for line in path.read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cur, peak


def sqlite_size_mb(db: Path) -> float:
    """The SQLite file plus its WAL, in MB."""
    total = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    return total / 1e6


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
