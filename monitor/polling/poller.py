"""Poll accounts (the due ones come from ``scheduling``): fetch, store, classify, decide, alert.

The fetch happens outside any transaction; storing the posts, advancing the cursor and
recording findings and alerts happen in one transaction, so a crash or a re-poll never
stores or alerts twice. Each connector error maps to one scheduling decision; on the
networks read from many hosts (``scheduling.HOST_NETWORKS``) a rate limit or refused
credentials rest or pause that host only, here, in the same transaction.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from classifiers.pipeline import Pipeline
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    ConnectorError,
    FetchResult,
    RateLimited,
    SourceUnavailable,
)
from monitor.backoff import backoff
from monitor.clock import utcnow
from monitor.config import AppConfig
from monitor.polling import failures, recheck, scheduling
from monitor.polling.report import ConnectorFor, PollReport
from monitor.polling.store import store_result
from monitor.storage import audit
from monitor.storage.db import session_scope
from monitor.storage.models import AccountRow, EmployeeRow

log = logging.getLogger("monitor.polling")


def _next_poll(app: AppConfig, now: datetime, rng: random.Random) -> datetime:
    p = app.settings.polling
    return now + timedelta(minutes=p.interval_minutes, seconds=rng.uniform(0, p.jitter_seconds))


@dataclass(frozen=True, kw_only=True)
class Poller:
    """Polling, wired once (``App.poller()``): the engine, the settings, the classifier
    pipeline and the connector lookup (one connector per network and thread)."""

    engine: Engine
    config: AppConfig
    pipeline: Pipeline
    connector_for: ConnectorFor

    def poll_account(
        self,
        account_id: int,
        *,
        now: datetime | None = None,
        rng: random.Random | None = None,
        only_if_due: bool = False,
    ) -> PollReport:
        """Poll one account. Connector errors become scheduling decisions, never exceptions.

        ``only_if_due`` skips an account that is no longer due (outcome ``not_due``): a
        queued job that another worker has already done, or a duplicate, costs one query,
        no request.
        """
        return _poll_account(self, account_id, now or utcnow(), rng or random.Random(),
                             only_if_due)

    def poll_due(self, *, now: datetime | None = None,
                 limit: int | None = None) -> list[PollReport]:
        """Poll every due account once (sequentially); the daemon runs this in a worker pool."""
        now = now or utcnow()
        with session_scope(self.engine) as session:
            limit = limit or self.config.settings.polling.batch_size
            ids = scheduling.due_accounts(session, now, limit)
        return [self.poll_account(i, now=now) for i in ids]

    def recheck_account(self, account_id: int, native_ids: Sequence[str], *,
                        now: datetime | None = None) -> PollReport:
        """Look again at posts of one account (flagged ones, recent ones): deletions and edits
        close flags, an edit that adds something is classified and alerted like a new post.

        A connector error is logged and counted, never raised, and does not touch the
        account's schedule (the next regular poll meets the same error and decides); a rate
        limit or refused credentials of a host read per host rest or pause that host. An
        account whose host rests is skipped without a request (outcome ``not_due``).
        """
        return recheck.recheck_account(self, account_id, native_ids, now or utcnow())


def _poll_account(poller: Poller, account_id: int, now: datetime, rng: random.Random,
                  only_if_due: bool) -> PollReport:
    engine, app = poller.engine, poller.config
    report = PollReport(account_id)
    with session_scope(engine) as session:
        account = session.get(AccountRow, account_id)
        if account is None:
            report.outcome = "gone"
            return report
        report.network = account.network
        report.host = scheduling.host_for(app.settings, account.network, account.handle) or ""
        if only_if_due and (
            account.status != "active"
            or (account.next_poll_at is not None and account.next_poll_at > now)
            # Another poll of this host was refused since this one was picked.
            or scheduling.is_host_resting(session, account.network, report.host, now)
        ):
            report.outcome = "not_due"
            return report
        ref = AccountRef(account.network, account.handle, account.native_id)
        cursor = account.cursor
    try:
        result = poller.connector_for(ref.network).fetch(ref, cursor)
    except Exception as exc:  # contained per account, see _record_failure
        report.requests = 1
        _record_failure(engine, app, account_id, exc, now, rng, report)
        return report
    report.requests = result.requests_made
    try:
        _store_poll(engine, app, poller.pipeline, account_id, result, now, rng, report)
    except Exception as exc:  # the transaction rolled back: nothing stored
        _record_failure(engine, app, account_id, exc, now, rng, report)
        return report
    if report.outcome == "ok":
        log.info(
            "polled account",
            extra={"account_id": account_id, "network": report.network,
                   "new": report.new_posts, "edited": report.edited_posts,
                   "deleted": report.deleted_posts, "findings": report.findings,
                   "alerts": report.alerts, **report.extra},
        )
    return report


def _store_poll(engine: Engine, app: AppConfig, pipeline: Pipeline, account_id: int,
                result: FetchResult, now: datetime, rng: random.Random,
                report: PollReport) -> None:
    """Store one fetch and advance the cursor, in one transaction."""
    with session_scope(engine) as session:
        account = session.get(AccountRow, account_id)
        employee = session.get(EmployeeRow, account.employee_id) if account else None
        # Consent may have been withdrawn during the fetch: then nothing is stored.
        if (
            account is None
            or employee is None
            or employee.opted_in_at is None
            or employee.opted_out_at is not None
        ):
            report.outcome = "no_consent"
            return
        store_result(session, app, pipeline, account, employee, result, now, report)
        account.cursor = result.cursor
        if result.native_account_id:
            account.native_id = result.native_account_id[:128]
        if account.failure_count >= app.settings.polling.failing_after:
            log.info("account recovered", extra={"account_id": account_id,
                                                 "network": report.network,
                                                 "failures": account.failure_count})
        account.failure_count = 0
        if account.status_reason.startswith(failures.FAILING):
            account.status_reason = ""
        account.last_polled_at = now
        account.next_poll_at = _next_poll(app, now, rng)
        account.host = report.host or None
        session.add(account)


def _record_failure(
    engine: Engine,
    app: AppConfig,
    account_id: int,
    exc: Exception,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """One failed poll becomes one scheduling decision. Connector errors say which; any
    other exception (a payload of an unexpected shape, a database refusing a value) is a
    bug or a hostile answer: it is logged with ids, counted, and backed off like an outage,
    so one account never takes the tick down and is never retried every tick."""
    p = app.settings.polling
    report.error = str(exc) if isinstance(exc, ConnectorError) else failures.error_name(exc)
    with session_scope(engine) as session:
        account = session.get(AccountRow, account_id)
        if account is None:
            return
        account.failure_count += 1
        account.host = report.host or None
        started = False
        if isinstance(exc, RateLimited):
            report.outcome = "rate_limited"
            account.next_poll_at = failures.retry_at(app, exc, now)
            if report.host:  # that host rests; other hosts of the network carry on
                started = failures.rest_host(session, report, account.next_poll_at, exc, now)
            else:  # the caller rests the whole network
                report.retry_at = account.next_poll_at
        elif isinstance(exc, AccountUnavailable):
            report.outcome = "unavailable"
            account.status, account.status_reason = "unavailable", exc.reason[:500]
            audit.record(session, "poller", "account.unavailable", f"account:{account_id}")
        elif isinstance(exc, AuthFailed):
            # The account retries after the pause: of its host (here), or of the whole
            # network (the caller pauses it on outcome ``auth_failed``).
            account.next_poll_at = now + timedelta(minutes=app.settings.daemon.auth_pause_minutes)
            if report.host:
                report.outcome = "host_auth_failed"
                started = failures.rest_host(session, report, account.next_poll_at, exc, now)
            else:
                report.outcome = "auth_failed"
        else:
            if isinstance(exc, SourceUnavailable):
                report.outcome = "source_unavailable"
            else:
                report.outcome = "error" if isinstance(exc, ConnectorError) else "crashed"
            delay = backoff(account.failure_count, p.backoff_base_seconds, p.backoff_cap_seconds,
                            rng=rng)
            account.next_poll_at = now + timedelta(seconds=delay)
        if account.failure_count >= p.failing_after and account.status == "active":
            account.status_reason = (f"{failures.FAILING} {account.failure_count} polls in a row "
                                     f"failed, "
                                     f"last with {failures.error_name(exc)}")[:500]
        session.add(account)
    log.warning(
        "poll failed",
        extra={"account_id": account_id, "network": report.network, "outcome": report.outcome,
               "error": failures.error_name(exc), "failures": account.failure_count},
    )
    failures.log_host_rest(report, account_id, exc, started)


def summarize(reports: Sequence[PollReport]) -> dict[str, int]:
    totals: dict[str, int] = {"accounts": len(reports)}
    for r in reports:
        for key in ("new_posts", "edited_posts", "deleted_posts", "findings", "alerts"):
            totals[key] = totals.get(key, 0) + getattr(r, key)
        totals[r.outcome] = totals.get(r.outcome, 0) + 1
    return totals
