"""Poll accounts: pick the due ones, fetch, store, classify, decide and queue alerts.

The fetch happens outside any transaction; storing the posts, advancing the cursor and
recording findings and alerts happen in one transaction, so a crash or a re-poll never
stores or alerts twice. Each connector error maps to one scheduling decision; on the
networks read from many hosts (``scheduling.HOST_NETWORKS``) a rate limit or refused
credentials rest or pause that host only, here, in the same transaction.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from classifiers.base import PostText
from classifiers.pipeline import Pipeline
from connectors.base import (
    AccountRef,
    AccountUnavailable,
    AuthFailed,
    Connector,
    ConnectorError,
    FetchedPost,
    FetchResult,
    RateLimited,
    SourceUnavailable,
    content_hash,
)
from monitor.alerts import outbox
from monitor.backoff import backoff
from monitor.classify.pipeline import check, head
from monitor.clock import utcnow
from monitor.config import AppConfig
from monitor.polling import scheduling
from monitor.settings import Settings
from monitor.storage import audit
from monitor.storage.db import session_scope
from monitor.storage.models import Account, Employee, Finding, Post, Suppression

log = logging.getLogger("monitor.polling")

ConnectorFor = Callable[[str], Connector]


@dataclass
class PollReport:
    """What one poll did, in counts (never content).

    ``outcome`` is ``ok``, ``rate_limited``, ``unavailable``, ``auth_failed`` (the network's
    credentials refused: the caller pauses the network), ``host_auth_failed`` (one host
    refused them: that host is paused already), ``source_unavailable``, ``error``,
    ``crashed``, ``not_due`` (skipped without a request), ``no_consent`` or ``gone``; a
    re-check's is ``rechecked`` or ``recheck_failed``.
    """

    account_id: int
    network: str = ""
    outcome: str = "ok"
    new_posts: int = 0
    edited_posts: int = 0
    deleted_posts: int = 0
    findings: int = 0
    alerts: int = 0
    error: str = ""
    resolved: int = 0
    requests: int = 0
    # Set when the source asked us to wait (RateLimited): the whole network rests until then.
    # Never set for a network read per host: that host rests (``host_until``) instead.
    retry_at: datetime | None = None
    # The host the account is read from (``scheduling.host_for``), "" for whole networks.
    host: str = ""
    # Set when that host was made to rest or pause until then.
    host_until: datetime | None = None
    categories: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)


def _due_filter(now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        col(Account.status) == "active",
        col(Account.next_poll_at) <= now,
        col(Employee.opted_in_at).is_not(None),
        col(Employee.opted_out_at).is_(None),
        col(Employee.paused).is_(False),
        ~scheduling.on_resting_host(now),
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
    query = select(Account.id).join(Employee).where(*_due_filter(now))
    if network is not None:
        query = query.where(Account.network == network)
    query = query.order_by(col(Account.next_poll_at)).limit(limit)
    return [i for i in session.exec(query) if i is not None]


def count_due(session: Session, now: datetime) -> int:
    """How many accounts :func:`due_accounts` would return without a limit."""
    query = select(sa.func.count()).select_from(Account).join(Employee).where(*_due_filter(now))
    return int(session.exec(query).one())


def _suppressed(session: Session, employee_id: int, chash: str) -> set[tuple[str | None, ...]]:
    rows = session.exec(
        select(Suppression).where(
            sa.or_(
                col(Suppression.content_hash) == chash,
                col(Suppression.employee_id) == employee_id,
                col(Suppression.employee_id).is_(None),
            )
        )
    )
    return {(s.content_hash, s.rule, s.category) for s in rows}


def _is_suppressed(supp: set[tuple[str | None, ...]], chash: str, rule: str, cat: str) -> bool:
    for s_hash, s_rule, s_cat in supp:
        if s_hash not in (None, chash):
            continue
        if s_rule not in (None, rule) or s_cat not in (None, cat):
            continue
        return True
    return False


def classify_post(
    session: Session,
    app: AppConfig,
    pipeline: Pipeline,
    post: Post,
    employee: Employee,
    now: datetime,
    categories: dict[str, int] | None = None,
    cut: bool = False,
) -> tuple[int, int]:
    """Classify a stored post, store its findings and queue alerts. Returns (findings, alerts).

    ``categories`` (if given) is incremented per stored finding's category, for the metrics.
    ``cut`` says the stored text is the head of a longer post: each finding says so.
    """
    own = frozenset(json.loads(employee.own_contacts or "[]"))
    result = check(pipeline, app, PostText(post.text or "", str(post.id), own), cut=cut)
    post.language = result.classification.language
    post.wording_assessed = result.classification.wording_assessed
    # Recorded with the post, not only logged: the page says what could not be checked.
    post.failed_detectors = ",".join(
        sorted({f.detector for f in result.classification.failures}))[:512]
    supp = _suppressed(session, employee.id or 0, post.content_hash)
    open_now = {
        (f.detector, f.category, f.kind, f.masked): f
        for f in session.exec(
            select(Finding).where(Finding.post_id == post.id, Finding.status == "open")
        )
    }
    stored = alerts = 0
    to_alert: list[Finding] = []
    for decided in result.findings:
        f = decided.finding
        if _is_suppressed(supp, post.content_hash, f.rule, f.category):
            continue
        key = (f.detector, f.category, f.kind, f.masked)
        if key in open_now:
            # Still there after an edit: the flag stays open and is not alerted again.
            open_now.pop(key)
            continue
        row = Finding(
            post_id=post.id or 0,
            detector=f.detector,
            detector_version=f.version,
            category=f.category,
            kind=f.kind,
            rule=f.rule,
            start=f.start,
            end=f.end,
            masked=f.masked,
            score=f.score,
            explanation=f.explanation,
            content_hash=post.content_hash,
            decision=decided.decision,
            created_at=now,
        )
        session.add(row)
        session.flush()
        stored += 1
        if categories is not None:
            categories[f.category] = categories.get(f.category, 0) + 1
        if decided.decision == "alert":
            to_alert.append(row)
    # One post, one alert: queued on its strongest new finding, composed from all of them.
    if to_alert:
        strongest = max(to_alert, key=lambda r: r.score)
        if outbox.enqueue_immediate(session, app, employee.id or 0, strongest.id or 0, now):
            alerts += 1
    # Findings that an edit made go away are resolved by the edit itself.
    for gone in open_now.values():
        _resolve(session, gone, "post_edited", now)
    return stored, alerts


def _resolve(session: Session, finding: Finding, resolution: str, now: datetime) -> None:
    finding.status, finding.resolution, finding.resolved_at = "resolved", resolution, now
    session.add(finding)
    outbox.cancel_for_finding(session, finding.id or 0)


def store_result(
    session: Session,
    app: AppConfig,
    pipeline: Pipeline,
    account: Account,
    employee: Employee,
    result: FetchResult,
    now: datetime,
    report: PollReport,
    asked: Sequence[str] = (),
) -> None:
    """Upsert posts on (account, native id), record edits and deletions, classify.

    ``asked`` (a re-check) are the ids looked at: those the answer held are seen again.
    """
    limits = app.settings.polling
    if result.dropped:  # the connector dropped posts it could not read (bad id, bad line)
        report.extra["dropped_by_source"] = result.dropped
    for fetched in [*result.new, *result.edited]:
        bounded = bound_post(fetched, limits.max_text_bytes, limits.max_id_length)
        if bounded is None:
            report.extra["skipped_bad_id"] = report.extra.get("skipped_bad_id", 0) + 1
            continue
        fetched, cut = bounded
        existing = _find_post(session, account.id or 0, fetched)
        chash = content_hash(fetched.text)
        if existing is None:
            post = Post(
                account_id=account.id or 0,
                network=account.network,
                native_id=fetched.native_id,
                group_id=fetched.group_id,
                url=fetched.url,
                text=fetched.text,
                content_hash=chash,
                created_at=fetched.created_at,
                edited_at=fetched.edited_at,
                fetched_at=now,
            )
            session.add(post)
            session.flush()
            report.new_posts += 1
        elif existing.content_hash != chash:
            existing.text, existing.content_hash = fetched.text, chash
            existing.native_id = fetched.native_id
            existing.edited_at = fetched.edited_at or now
            existing.url = fetched.url or existing.url
            existing.missing_checks = 0
            post = existing
            session.add(post)
            report.edited_posts += 1
        else:
            continue  # already stored, unchanged: nothing to do, nothing to alert
        if cut:
            report.extra["cut_posts"] = report.extra.get("cut_posts", 0) + 1
        n_findings, n_alerts = classify_post(session, app, pipeline, post, employee, now,
                                             report.categories, cut=cut)
        report.findings += n_findings
        report.alerts += n_alerts
    _record_gone(session, account, result, now, report, asked, limits.deletion_checks)


def bound_post(fetched: FetchedPost, max_text_bytes: int,
               max_id_length: int) -> tuple[FetchedPost, bool] | None:
    """The post within storage limits, and whether its text was cut; None for a bad id.

    A text over ``max_text_bytes`` keeps its head (a 10 MB post must not take the memory of
    the daemon); NUL characters, which PostgreSQL text refuses, become U+FFFD; an address
    too long to store is dropped rather than cut into a wrong one.
    """
    if not fetched.native_id or len(fetched.native_id) > max_id_length \
            or not fetched.native_id.isprintable():
        return None
    text, cut = head(fetched.text, max_text_bytes)
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    group_id = fetched.group_id
    if group_id is not None and (len(group_id) > max_id_length or not group_id.isprintable()):
        group_id = None
    url = fetched.url if len(fetched.url) <= 2048 and "\x00" not in fetched.url else ""
    if (text, group_id, url) == (fetched.text, fetched.group_id, fetched.url):
        return fetched, cut
    return replace(fetched, text=text, group_id=group_id, url=url), cut


def _record_gone(
    session: Session,
    account: Account,
    result: FetchResult,
    now: datetime,
    report: PollReport,
    asked: Sequence[str],
    checks_needed: int,
) -> None:
    """Deletions: confirmed ones at once; posts missing from an answer after several
    checks in a row. An answer that held none of several posts asked for is no evidence at
    all (an empty or broken batch answer must never close flags); for one post asked, its
    absence is the answer about that post."""
    confirmed = set(result.deleted)
    missing = set(result.missing) - confirmed
    answered = set(asked) - missing - confirmed
    if len(asked) > 1 and not answered and not confirmed and not result.edited:
        if missing:
            report.extra["answers_without_posts"] = 1
            log.warning("re-check answer held none of the posts asked for; no deletion "
                        "inferred", extra={"account_id": account.id, "network": account.network,
                                           "posts": len(missing)})
        missing = set()
    ids = confirmed | missing | answered
    if not ids:
        return
    rows = session.exec(
        select(Post).where(Post.account_id == account.id, col(Post.native_id).in_(ids))
    ).all()
    for post_row in rows:
        if post_row.deleted_at is not None:
            continue
        if post_row.native_id in answered:
            if post_row.missing_checks:
                post_row.missing_checks = 0
                session.add(post_row)
            continue
        if post_row.native_id not in confirmed:
            post_row.missing_checks += 1
            session.add(post_row)
            if post_row.missing_checks < checks_needed:
                report.extra["missing_posts"] = report.extra.get("missing_posts", 0) + 1
                continue
        post_row.deleted_at = now
        session.add(post_row)
        report.deleted_posts += 1
        for f in session.exec(
            select(Finding).where(Finding.post_id == post_row.id, Finding.status == "open")
        ):
            _resolve(session, f, "post_deleted", now)
            report.resolved += 1


def _find_post(session: Session, account_id: int, fetched: FetchedPost) -> Post | None:
    """The stored post of this account with the fetched id (or edit group). Always per
    account: native ids are not unique across accounts, files or servers."""
    post = session.exec(
        select(Post).where(Post.account_id == account_id, Post.native_id == fetched.native_id)
    ).first()
    if post is None and fetched.group_id:
        # An X edit has a new id; its versions share the first id of the edit history.
        post = session.exec(
            select(Post).where(Post.account_id == account_id, Post.group_id == fetched.group_id)
        ).first()
    return post


def _next_poll(app: AppConfig, now: datetime, rng: random.Random) -> datetime:
    p = app.settings.polling
    return now + timedelta(minutes=p.interval_minutes, seconds=rng.uniform(0, p.jitter_seconds))


def poll_account(
    engine: Engine,
    app: AppConfig,
    pipeline: Pipeline,
    connector_for: ConnectorFor,
    account_id: int,
    now: datetime | None = None,
    rng: random.Random | None = None,
    only_if_due: bool = False,
) -> PollReport:
    """Poll one account. Connector errors become scheduling decisions, never exceptions.

    ``only_if_due`` skips an account that is no longer due (outcome ``not_due``): a queued
    job that another worker has already done, or a duplicate, costs one query, no request.
    """
    now = now or utcnow()
    rng = rng or random.Random()
    report = PollReport(account_id)
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
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
        result = connector_for(ref.network).fetch(ref, cursor)
    except Exception as exc:  # contained per account, see _record_failure
        report.requests = 1
        _record_failure(engine, app, account_id, exc, now, rng, report)
        return report
    report.requests = result.requests_made
    try:
        _store_poll(engine, app, pipeline, account_id, result, now, rng, report)
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
        account = session.get(Account, account_id)
        employee = session.get(Employee, account.employee_id) if account else None
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
        if account.status_reason.startswith(FAILING):
            account.status_reason = ""
        account.last_polled_at = now
        account.next_poll_at = _next_poll(app, now, rng)
        account.host = report.host or None
        session.add(account)


# An account whose last polls all failed (``polling.failing_after`` in a row) carries a
# status reason starting so; `status` and /healthz count them.
FAILING = "failing:"


def error_name(exc: BaseException) -> str:
    """What failed, in words fit for a log line or a status page: never the message (a
    library's message can quote post text or SQL parameters)."""
    name = type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    # A connector error already says what it is; anything else also names what caused it.
    if isinstance(exc, ConnectorError) or cause is None or type(cause).__name__ == name:
        return name
    return f"{name} ({type(cause).__name__})"


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
    report.error = str(exc) if isinstance(exc, ConnectorError) else error_name(exc)
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            return
        account.failure_count += 1
        account.host = report.host or None
        started = False
        if isinstance(exc, RateLimited):
            report.outcome = "rate_limited"
            account.next_poll_at = _retry_at(app, exc, now)
            if report.host:  # that host rests; other hosts of the network carry on
                started = _rest_host(session, report, account.next_poll_at, exc, now)
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
                started = _rest_host(session, report, account.next_poll_at, exc, now)
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
            account.status_reason = (f"{FAILING} {account.failure_count} polls in a row failed, "
                                     f"last with {error_name(exc)}")[:500]
        session.add(account)
    log.warning(
        "poll failed",
        extra={"account_id": account_id, "network": report.network, "outcome": report.outcome,
               "error": error_name(exc), "failures": account.failure_count},
    )
    _log_host_rest(report, account_id, exc, started)


def _retry_at(app: AppConfig, exc: RateLimited, now: datetime) -> datetime:
    """When a rate-limited source may be asked again: its reset, within the configured cap."""
    longest = timedelta(seconds=app.settings.polling.max_retry_after_seconds)
    return min(max(exc.retry_at, now), now + longest)


def _rest_host(session: Session, report: PollReport, until: datetime, exc: Exception,
               now: datetime) -> bool:
    """Rest (rate limit) or pause (credentials refused) the report's host until ``until``;
    True if it was not resting for that reason already."""
    reason = scheduling.AUTH_FAILED if isinstance(exc, AuthFailed) else scheduling.RATE_LIMITED
    report.host_until = until
    return scheduling.rest_host(session, report.network, report.host, until, reason, now)


def _log_host_rest(report: PollReport, account_id: int, exc: Exception, started: bool) -> None:
    """The operator's line naming the host: each rate limit, and a pause once."""
    if report.host_until is None:
        return
    where = {"network": report.network, "host": report.host, "account_id": account_id,
             "until": report.host_until.isoformat()}
    if not isinstance(exc, AuthFailed):
        log.warning("host rate limited", extra={"event": "rate_limited", **where})
    elif started:
        log.error("host paused: credentials refused; fix them and resume the host or wait",
                  extra={"event": "host_paused", "reason": scheduling.AUTH_FAILED, **where})


def flagged_posts(
    session: Session,
    limit: int,
    *,
    now: datetime | None = None,
    recent_days: int = 0,
    recent_hours: int = 24,
    recent_limit: int = 0,
    recent_networks: Sequence[str] = (),
) -> dict[tuple[int, str], list[str]]:
    """Native ids of live posts with open flags, per (account id, network); consenting
    owners' active accounts only, none on a resting or paused host.

    With ``recent_days`` and ``recent_limit``, also up to ``recent_limit`` posts *without*
    flags of ``recent_networks`` written in the last ``recent_days`` days and not looked
    at for ``recent_hours`` hours (the longest-unchecked first): their polls page forward
    from the newest post, so an edit of an older one is seen only here.
    """
    now = now or utcnow()
    live = (
        col(Post.deleted_at).is_(None),
        Account.status == "active",
        col(Employee.opted_in_at).is_not(None),
        col(Employee.opted_out_at).is_(None),
        ~scheduling.on_resting_host(now),
    )
    flagged = sa.exists().where(col(Finding.post_id) == col(Post.id),
                                col(Finding.status) == "open")
    base = (
        select(Post.account_id, Account.network, Post.native_id)
        .join(Account, col(Account.id) == col(Post.account_id))
        .join(Employee, col(Employee.id) == col(Account.employee_id))
    )
    out: dict[tuple[int, str], list[str]] = {}
    for account_id, network, native_id in session.exec(
        base.where(*live, flagged).order_by(col(Post.id)).limit(limit)
    ):
        out.setdefault((account_id, network), []).append(native_id)
    if recent_days <= 0 or recent_limit <= 0 or not recent_networks:
        return out
    last_look = sa.func.coalesce(col(Post.checked_at), col(Post.fetched_at))
    recent = (
        base.where(
            *live,
            ~flagged,
            col(Employee.paused).is_(False),
            col(Post.network).in_(list(recent_networks)),
            col(Post.created_at) >= now - timedelta(days=recent_days),
            last_look <= now - timedelta(hours=recent_hours),
        )
        .order_by(last_look, col(Post.id))
        .limit(recent_limit)
    )
    for account_id, network, native_id in session.exec(recent):
        out.setdefault((account_id, network), []).append(native_id)
    return out


def recheck_targets(session: Session, settings: Settings,
                    now: datetime | None = None) -> dict[tuple[int, str], list[str]]:
    """What one re-check run looks at, per ``daemon.recheck_*`` settings: the flagged posts
    and the recent ones without flags (see :func:`flagged_posts`)."""
    d = settings.daemon
    return flagged_posts(session, d.recheck_batch, now=now,
                         recent_days=d.recheck_recent_days, recent_hours=d.recheck_recent_hours,
                         recent_limit=d.recheck_recent_batch,
                         recent_networks=d.recheck_recent_networks)


def recheck_account(
    engine: Engine,
    app: AppConfig,
    pipeline: Pipeline,
    connector_for: ConnectorFor,
    account_id: int,
    native_ids: Sequence[str],
    now: datetime | None = None,
) -> PollReport:
    """Look again at posts of one account (flagged ones, recent ones): deletions and edits
    close flags, an edit that adds something is classified and alerted like a new post.

    A connector error is logged and counted, never raised, and does not touch the
    account's schedule (the next regular poll meets the same error and decides); a rate
    limit or refused credentials of a host read per host rest or pause that host. An
    account whose host rests is skipped without a request (outcome ``not_due``).
    """
    now = now or utcnow()
    report = PollReport(account_id, outcome="rechecked")
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            report.outcome = "gone"
            return report
        report.network = account.network
        report.host = scheduling.host_for(app.settings, account.network, account.handle) or ""
        if scheduling.is_host_resting(session, account.network, report.host, now):
            report.outcome = "not_due"
            return report
        ref = AccountRef(account.network, account.handle, account.native_id)
    try:
        result = connector_for(ref.network).recheck(ref, native_ids)
        report.requests = result.requests_made
        with session_scope(engine) as session:
            account = session.get(Account, account_id)
            employee = session.get(Employee, account.employee_id) if account else None
            if account is None or employee is None or employee.opted_in_at is None \
                    or employee.opted_out_at is not None:
                report.outcome = "no_consent"
                return report
            store_result(session, app, pipeline, account, employee, result, now, report,
                         asked=native_ids)
            session.execute(
                sa.update(Post)
                .where(col(Post.account_id) == account_id, col(Post.native_id).in_(native_ids))
                .values(checked_at=now)
            )
    except Exception as exc:  # a failed re-check closes nothing; next one retries
        report.outcome, report.error = "recheck_failed", error_name(exc)
        report.requests = max(report.requests, 1)
        log.warning("recheck failed", extra={"account_id": account_id, "network": ref.network,
                                             "error": error_name(exc)})
        _recheck_refused(engine, app, report, exc, now)
        return report
    log.info("rechecked flagged posts", extra={
        "account_id": account_id, "network": ref.network, "posts": len(native_ids),
        "edited": report.edited_posts, "deleted": report.deleted_posts,
        "findings": report.findings, "alerts": report.alerts, "resolved": report.resolved})
    return report


def _recheck_refused(engine: Engine, app: AppConfig, report: PollReport, exc: Exception,
                     now: datetime) -> None:
    """A re-check told to wait: the network rests (the caller, from ``retry_at``), or the
    host rests or pauses (here)."""
    if isinstance(exc, RateLimited):
        until = _retry_at(app, exc, now)
    elif isinstance(exc, AuthFailed) and report.host:
        until = now + timedelta(minutes=app.settings.daemon.auth_pause_minutes)
    else:
        return
    if not report.host:
        report.retry_at = until
        return
    with session_scope(engine) as session:
        started = _rest_host(session, report, until, exc, now)
    _log_host_rest(report, report.account_id, exc, started)


def poll_due(
    engine: Engine,
    app: AppConfig,
    pipeline: Pipeline,
    connector_for: ConnectorFor,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[PollReport]:
    """Poll every due account once (sequentially); the daemon runs this in a worker pool."""
    now = now or utcnow()
    with session_scope(engine) as session:
        ids = due_accounts(session, now, limit or app.settings.polling.batch_size)
    return [poll_account(engine, app, pipeline, connector_for, i, now) for i in ids]


def summarize(reports: Sequence[PollReport]) -> dict[str, int]:
    totals: dict[str, int] = {"accounts": len(reports)}
    for r in reports:
        for key in ("new_posts", "edited_posts", "deleted_posts", "findings", "alerts"):
            totals[key] = totals.get(key, 0) + getattr(r, key)
        totals[r.outcome] = totals.get(r.outcome, 0) + 1
    return totals
