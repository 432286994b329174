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

Networks read from many hosts (:data:`HOST_NETWORKS`: each Mastodon server, each feed's
host, the Bluesky AppView) rest and pause *per host* instead: a 429 or a refused token from
one host stops that host's accounts only (:func:`host_for` says which host an account is
read from; the poller stores it in ``account.host``). A host's rest or pause is a
``host_rest`` row (in the database: it survives a restart and every worker sees it); due
picks and re-checks leave that host's accounts out until it ends, and the poller logs it
naming the host (``event=rate_limited`` at WARNING, ``event=host_paused`` at ERROR, the
operator alert). A host pause is also an audit event (``host.paused``); an operator ends it
early with :func:`resume_host`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import zip_longest
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from connectors.registry import known_networks
from monitor.settings import Settings
from monitor.storage import audit
from monitor.storage.models import AccountRow, AuditEventRow, EmployeeRow, HostRestRow

PAUSED = "network.paused"
RESUMED = "network.resumed"
HOST_PAUSED = "host.paused"
HOST_RESUMED = "host.resumed"
# Networks whose accounts are read from a host of their own (or a configured one): their
# rests and pauses are per host. X and Reddit have one API and one credential each: theirs
# stay per network.
HOST_NETWORKS = frozenset({"mastodon", "rss", "bluesky"})
RATE_LIMITED = "RateLimited"
AUTH_FAILED = "AuthFailed"
# Rest rows this long past their end are deleted when a new one is written.
_KEEP_ENDED = timedelta(days=1)


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
        select(AuditEventRow)
        .where(col(AuditEventRow.action).in_((PAUSED, RESUMED)),
               col(AuditEventRow.at) >= now - lookback)
        .order_by(col(AuditEventRow.at), col(AuditEventRow.id))
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


def _url_host(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def host_for(settings: Settings, network: str, handle: str) -> str | None:
    """The host an account of ``network`` is read from (``name[:port]``, lower case), or
    None for a network that rests and pauses as a whole.

    Mastodon: the server of ``user@server``, or that of ``networks.mastodon.api_base_url``
    when every account is read through one server; RSS: the feed's host; Bluesky: the
    AppView of ``networks.bluesky.api_base_url``.
    """
    if network == "mastodon":
        base = settings.networks.mastodon.api_base_url
        if base:
            return _url_host(base)
        server = handle.strip().lstrip("@").partition("@")[2].strip().lower()
        return server[:255] or None
    if network == "rss":
        return _url_host(handle)
    if network == "bluesky":
        return _url_host(settings.networks.bluesky.api_base_url)
    return None


@dataclass(frozen=True)
class HostRestState:
    """A host resting (``reason`` RateLimited) or paused (AuthFailed) until ``until``."""

    until: datetime
    reason: str


def _host_subject(network: str, host: str) -> str:
    return f"host:{network}/{host}"[:200]


def rest_host(session: Session, network: str, host: str, until: datetime, reason: str,
              now: datetime, actor: str = "poller") -> bool:
    """Rest (``RateLimited``) or pause (``AuthFailed``) ``host`` of ``network`` until
    ``until``. Returns True when it was not already resting for that reason (then the
    caller tells the operator); a pause is also an audit event, the operator's record."""
    already = session.exec(
        select(HostRestRow.id).where(HostRestRow.network == network, HostRestRow.host == host,
                                  HostRestRow.reason == reason, col(HostRestRow.until) > now)
    ).first()
    session.execute(sa.delete(HostRestRow).where(col(HostRestRow.until) < now - _KEEP_ENDED))
    session.add(HostRestRow(network=network, host=host, reason=reason, since=now, until=until))
    if reason == AUTH_FAILED and already is None:
        audit.record(session, actor, HOST_PAUSED, _host_subject(network, host),
                     f"until={until.isoformat()} reason={reason}", at=now)
    return already is None


def resume_host(session: Session, network: str, host: str, now: datetime, actor: str) -> None:
    """End a host's rest or pause early (after the operator fixed the credentials)."""
    session.execute(sa.delete(HostRestRow).where(col(HostRestRow.network) == network,
                                              col(HostRestRow.host) == host))
    audit.record(session, actor, HOST_RESUMED, _host_subject(network, host), "", at=now)


def resting_hosts(session: Session, now: datetime) -> dict[tuple[str, str], HostRestState]:
    """Hosts resting or paused at ``now``, per (network, host): the latest end, and
    ``AuthFailed`` if a pause is among them (a pause says more than a rate limit)."""
    rows = session.exec(
        select(HostRestRow).where(col(HostRestRow.until) > now).order_by(col(HostRestRow.id))
    )
    out: dict[tuple[str, str], HostRestState] = {}
    for row in rows:
        assert row.until is not None
        key = (row.network, row.host)
        seen = out.get(key)
        if seen is None:
            out[key] = HostRestState(row.until, row.reason)
            continue
        reason = AUTH_FAILED if AUTH_FAILED in (seen.reason, row.reason) else seen.reason
        out[key] = HostRestState(max(seen.until, row.until), reason)
    return out


def is_host_resting(session: Session, network: str, host: str | None, now: datetime) -> bool:
    if not host:
        return False
    return session.exec(
        select(HostRestRow.id).where(HostRestRow.network == network, HostRestRow.host == host,
                                  col(HostRestRow.until) > now)
    ).first() is not None


def on_resting_host(now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the account (joined as ``AccountRow``) is read from a host resting at ``now``.
    An account whose host is not known yet (NULL) is on none."""
    return sa.exists().where(
        col(HostRestRow.network) == col(AccountRow.network),
        col(HostRestRow.host) == col(AccountRow.host),
        col(HostRestRow.until) > now,
    )


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


def pick_due(session: Session, now: datetime, *, per_network: int, batch_size: int,
             skip: Iterable[str] = ()) -> list[Pick]:
    """Due accounts of every network not in ``skip``: at most ``per_network`` each,
    ``batch_size`` in all, interleaved across networks. Consent (and resting hosts) are
    checked by :func:`due_accounts`."""

    skipped = set(skip)
    groups = [
        [Pick(n, i) for i in due_accounts(session, now, per_network, network=n)]
        # The registry, not a DISTINCT over accounts: each pick is then one indexed query.
        for n in known_networks()
        if n not in skipped
    ]
    return interleave(groups)[:batch_size]


def _due_filter(now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        col(AccountRow.status) == "active",
        col(AccountRow.next_poll_at) <= now,
        col(EmployeeRow.opted_in_at).is_not(None),
        col(EmployeeRow.opted_out_at).is_(None),
        col(EmployeeRow.paused).is_(False),
        ~on_resting_host(now),
    ]


def due_accounts(
    session: Session,
    now: datetime,
    limit: int,
    network: str | None = None,
) -> list[int]:
    """Accounts that are active, due, and whose owner has opted in and not out.

    Consent is enforced here, in the one query that feeds every connector, and accounts
    on a resting or paused host wait. ``network`` narrows the pick to one network (the
    daemon picks per network, within its budget).
    """
    query = select(AccountRow.id).join(EmployeeRow).where(*_due_filter(now))
    if network is not None:
        query = query.where(AccountRow.network == network)
    query = query.order_by(col(AccountRow.next_poll_at)).limit(limit)
    return [i for i in session.exec(query) if i is not None]


def count_due(session: Session, now: datetime) -> int:
    """How many accounts :func:`due_accounts` would return without a limit."""
    query = (select(sa.func.count()).select_from(AccountRow).join(EmployeeRow)
             .where(*_due_filter(now)))
    return int(session.exec(query).one())
