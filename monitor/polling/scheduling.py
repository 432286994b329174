"""Fair picking of due accounts: per-network budgets, paused networks, rate-limit rests.

The per-account schedule lives in the ``account`` table (``next_poll_at``). This module
decides, per tick, which due accounts get polled:

- a network whose credentials were refused (``AuthFailed``) is *paused* for
  ``daemon.auth_pause_minutes``. The pause is an audit event (``network.paused``), so it
  survives a restart, is shared by every worker, and is the operator's record; the daemon
  also logs it at ERROR with ``event=network_paused`` (the operator alert: ship the logs
  or alert on the ``social_monitor_network_paused`` metric). ``network.resumed`` ends it.
- a network that answered ``RateLimited`` *rests* until its reset time (in memory: after
  a restart the first 429 sets it again, and the account itself waits in the table);
- each network gets at most ``daemon.network_request_budget`` requests per tick, and the
  picks of all networks are interleaved, so one busy network cannot starve the others.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import zip_longest

from sqlmodel import Session, col, select

from connectors.registry import known_networks
from monitor.polling import poller
from monitor.storage import audit
from monitor.storage.models import AuditEvent

PAUSED = "network.paused"
RESUMED = "network.resumed"


@dataclass(frozen=True)
class Pick:
    """One account to poll this tick."""

    network: str
    account_id: int


def pause_network(session: Session, network: str, until: datetime, reason: str,
                  now: datetime, actor: str = "daemon") -> None:
    """Record that ``network`` is paused until ``until`` (``reason`` names the error type)."""
    audit.record(session, actor, PAUSED, f"network:{network}",
                 f"until={until.isoformat()} reason={reason}", at=now)


def resume_network(session: Session, network: str, now: datetime, actor: str) -> None:
    """End a pause early (after the operator fixed the credentials)."""
    audit.record(session, actor, RESUMED, f"network:{network}", "", at=now)


def paused_networks(session: Session, now: datetime,
                    lookback: timedelta = timedelta(days=7)) -> dict[str, datetime]:
    """Networks paused right now, with the end of their pause (latest event wins)."""
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action).in_((PAUSED, RESUMED)), col(AuditEvent.at) >= now - lookback)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    state: dict[str, datetime | None] = {}
    for event in rows:
        network = event.subject.removeprefix("network:")
        until = None
        if event.action == PAUSED:
            for part in event.detail.split():
                if part.startswith("until="):
                    until = datetime.fromisoformat(part.removeprefix("until="))
        state[network] = until
    return {n: u for n, u in state.items() if u is not None and u > now}


class Rests:
    """Networks that must not be asked anything until a time (rate limit reset, pause).

    Thread-safe, and kept across ticks by the daemon.
    """

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def rest(self, network: str, until: datetime) -> None:
        with self._lock:
            self._until[network] = max(until, self._until.get(network, until))

    def is_resting(self, network: str, now: datetime) -> bool:
        with self._lock:
            until = self._until.get(network)
            return until is not None and until > now

    def resting(self, now: datetime) -> set[str]:
        """Networks still resting at ``now``; the ones whose time has come are forgotten."""
        with self._lock:
            for network in [n for n, until in self._until.items() if until <= now]:
                del self._until[network]
            return set(self._until)


class TickBudget:
    """Requests left per network in this tick (thread-safe: workers take before each fetch)."""

    def __init__(self, budget: int, rests: Rests | None = None) -> None:
        self.budget = budget
        self.rests = rests or Rests()
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, network: str, now: datetime) -> bool:
        """Reserve one request for a poll of ``network``; False if spent or resting."""
        if self.rests.is_resting(network, now):
            return False
        with self._lock:
            used = self._used.get(network, 0)
            if used >= self.budget:
                return False
            self._used[network] = used + 1
            return True

    def spend(self, network: str, requests: int) -> None:
        """Account for a poll that needed more than the one request reserved for it."""
        with self._lock:
            self._used[network] = self._used.get(network, 0) + max(0, requests - 1)

    def used(self) -> dict[str, int]:
        with self._lock:
            return dict(self._used)


def interleave(groups: Iterable[Sequence[Pick]]) -> list[Pick]:
    """Round-robin over the networks' picks, so the pool serves them all from the start."""
    out: list[Pick] = []
    for row in zip_longest(*groups):
        out.extend(p for p in row if p is not None)
    return out


def pick_due(session: Session, now: datetime, per_network: int, batch_size: int,
             skip: Iterable[str] = ()) -> list[Pick]:
    """Due accounts of every network not in ``skip``: at most ``per_network`` each,
    ``batch_size`` in all, interleaved across networks. Consent is checked by
    :func:`monitor.polling.poller.due_accounts`."""
    skipped = set(skip)
    groups = [
        [Pick(n, i) for i in poller.due_accounts(session, now, per_network, network=n)]
        # The registry, not a DISTINCT over accounts: each pick is then one indexed query.
        for n in known_networks()
        if n not in skipped
    ]
    return interleave(groups)[:batch_size]
