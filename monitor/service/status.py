"""The service at a glance, read from the database: what `status` prints and /metrics exports.

Counts only, never content. Cheap aggregate queries, so a scrape every 15 s is fine.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.polling import failures, scheduling
from monitor.settings import StorageSettings
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, AlertRow, FindingRow, PostRow

LOCK_NAME = "daemon.lock"


def lock_path(storage: StorageSettings) -> Path:
    """Where the one-daemon lock lives: beside the SQLite file (two data folders pointed at
    one database file still share it), else in the data folder (PostgreSQL also has an
    advisory lock in the database itself)."""
    url = sa.engine.make_url(storage.url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database).resolve()
        return db.with_name(db.name + "." + LOCK_NAME)
    return Path(storage.data_dir) / LOCK_NAME


@dataclass(frozen=True)
class Snapshot:
    """Counts from the database at ``at``."""

    at: datetime
    accounts_by_status: dict[str, int]
    accounts_by_network: dict[str, int]
    failing_by_network: dict[str, int]
    accounts_due: int
    last_poll_at: datetime | None
    posts: int
    posts_with_text: int
    open_findings_by_category: dict[str, int]
    alerts_by_status: dict[str, int]
    queue_depth: int
    paused_networks: dict[str, datetime] = field(default_factory=dict)
    # Hosts resting (rate limited) or paused (credentials refused), as "network/host":
    # {"until", "reason"} with reason RateLimited or AuthFailed.
    resting_hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    daemon_pid: int | None = None
    # Active accounts whose last ``polling.failing_after`` polls all failed (at most 50):
    # {"account_id", "network", "reason"}.
    failing_accounts: list[dict[str, Any]] = field(default_factory=list)


def daemon_pid(path: Path) -> int | None:
    """The pid of the daemon holding the instance lock file ``path``, or None."""
    if not path.is_file():
        return None
    with path.open("r") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = path.read_text().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None


def _grouped(session: Session, column: Any, *where: Any) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).where(*where).group_by(column)
    return {str(k): int(v) for k, v in session.execute(query)}


def snapshot(engine: Engine, now: datetime, lock_file: Path | None = None) -> Snapshot:
    """Read the counts. ``lock_file`` (:func:`lock_path`) also tells whether a daemon runs."""
    with session_scope(engine) as s:
        by_status = _grouped(s, col(AccountRow.status))
        by_network = _grouped(s, col(AccountRow.network))
        failing = _grouped(s, col(AccountRow.network), col(AccountRow.failure_count) > 0)
        due = scheduling.count_due(s, now)
        last = s.exec(select(sa.func.max(AccountRow.last_polled_at))).one()
        posts = s.exec(select(sa.func.count()).select_from(PostRow)).one()
        with_text = s.exec(
            select(sa.func.count()).select_from(PostRow).where(col(PostRow.text).is_not(None))
        ).one()
        findings = _grouped(s, col(FindingRow.category), col(FindingRow.status) == "open")
        alerts = _grouped(s, col(AlertRow.status))
        paused = scheduling.paused_networks(s, now)
        hosts = {f"{network}/{host}": {"until": rest.until, "reason": rest.reason}
                 for (network, host), rest in sorted(scheduling.resting_hosts(s, now).items())}
        failing_accounts = list_failing(s)
    return Snapshot(
        at=now,
        accounts_by_status=by_status,
        accounts_by_network=by_network,
        failing_by_network=failing,
        accounts_due=due,
        last_poll_at=last,
        posts=int(posts),
        posts_with_text=int(with_text),
        open_findings_by_category=findings,
        alerts_by_status=alerts,
        queue_depth=sum(alerts.get(k, 0) for k in ("queued", "failed", "sending")),
        paused_networks=paused,
        resting_hosts=hosts,
        daemon_pid=daemon_pid(lock_file) if lock_file is not None else None,
        failing_accounts=failing_accounts,
    )


def list_failing(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Active accounts marked failing by the poller (see ``failures.FAILING``)."""
    query = (
        sa.select(col(AccountRow.id), col(AccountRow.network), col(AccountRow.status_reason))
        .where(col(AccountRow.status) == "active",
               col(AccountRow.status_reason).startswith(failures.FAILING))
        .order_by(col(AccountRow.id))
        .limit(limit)
    )
    return [{"account_id": int(i), "network": str(n), "reason": str(r)}
            for i, n, r in session.execute(query)]
