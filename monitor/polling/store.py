"""Store what a fetch returned: bounded posts upserted per account, edits re-classified,
findings recorded and alerts queued, deletions only on confirmation. All inside the poll's
one transaction (the caller's session), so a re-poll or a restart never stores twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from classifiers.base import PostText
from classifiers.pipeline import Pipeline
from connectors.base import (
    FetchedPost,
    FetchResult,
    content_hash,
)
from monitor.alerts import outbox
from monitor.classify.pipeline import check, head
from monitor.config import AppConfig
from monitor.polling.report import PollReport
from monitor.storage.models import AccountRow, EmployeeRow, FindingRow, PostRow, SuppressionRow

log = logging.getLogger("monitor.polling")


def _suppressed(session: Session, employee_id: int, chash: str) -> set[tuple[str | None, ...]]:
    rows = session.exec(
        select(SuppressionRow).where(
            sa.or_(
                col(SuppressionRow.content_hash) == chash,
                col(SuppressionRow.employee_id) == employee_id,
                col(SuppressionRow.employee_id).is_(None),
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
    post: PostRow,
    employee: EmployeeRow,
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
            select(FindingRow).where(FindingRow.post_id == post.id, FindingRow.status == "open")
        )
    }
    stored = alerts = 0
    to_alert: list[FindingRow] = []
    for decided in result.findings:
        f = decided.finding
        if _is_suppressed(supp, post.content_hash, f.rule, f.category):
            continue
        key = (f.detector, f.category, f.kind, f.masked)
        if key in open_now:
            # Still there after an edit: the flag stays open and is not alerted again.
            open_now.pop(key)
            continue
        row = FindingRow(
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


def _resolve(session: Session, finding: FindingRow, resolution: str, now: datetime) -> None:
    finding.status, finding.resolution, finding.resolved_at = "resolved", resolution, now
    session.add(finding)
    outbox.cancel_for_finding(session, finding.id or 0)


def store_result(
    session: Session,
    app: AppConfig,
    pipeline: Pipeline,
    account: AccountRow,
    employee: EmployeeRow,
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
            post = PostRow(
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
                read_notes=read_notes(fetched),
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
            existing.read_notes = read_notes(fetched)
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


def read_notes(fetched: FetchedPost) -> str:
    """The connector's notes on how the post was read, as stored (JSON, bounded; names and
    reasons only, never post text): e.g. a date that could not be read."""
    if not fetched.metadata:
        return ""
    notes = {str(k)[:64]: str(v)[:200] for k, v in list(fetched.metadata.items())[:8]}
    return json.dumps(notes, ensure_ascii=False, sort_keys=True)


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
    account: AccountRow,
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
        select(PostRow).where(PostRow.account_id == account.id, col(PostRow.native_id).in_(ids))
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
            select(FindingRow).where(FindingRow.post_id == post_row.id, FindingRow.status == "open")
        ):
            _resolve(session, f, "post_deleted", now)
            report.resolved += 1


def _find_post(session: Session, account_id: int, fetched: FetchedPost) -> PostRow | None:
    """The stored post of this account with the fetched id (or edit group). Always per
    account: native ids are not unique across accounts, files or servers."""
    post = session.exec(
        select(PostRow).where(
            PostRow.account_id == account_id, PostRow.native_id == fetched.native_id)
    ).first()
    if post is None and fetched.group_id:
        # An X edit has a new id; its versions share the first id of the edit history.
        post = session.exec(
            select(PostRow).where(
                PostRow.account_id == account_id, PostRow.group_id == fetched.group_id)
        ).first()
    return post
