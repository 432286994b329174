"""The self-review service: what the review page shows and does, scoped to one employee.

Every function that reads or changes an employee's data takes that employee's id and only
ever touches rows reached through their own accounts, so a flag id from someone else is
:class:`~monitor.errors.NotFound`, exactly as if it did not exist. Every change leaves an
audit line with ids and actions only (never post text).

The compliance view (:func:`compliance_summary`) sees aggregates only, plus the flags the
policy explicitly escalates when ``escalation.enabled`` is on.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.alerts import outbox
from monitor.alerts.digest import open_flags
from monitor.alerts.mailer import NEXT_STEP
from monitor.alerts.spans import Segment, segments
from monitor.config import AppConfig
from monitor.errors import BadInput, Conflict, NotFound
from monitor.people import employees
from monitor.review.suggestions import Suggestion, suggest
from monitor.storage import audit
from monitor.storage.models import (
    Account,
    Alert,
    AuditEvent,
    Employee,
    Finding,
    Post,
    Review,
    Suppression,
)
from monitor.storage.queries import employee_findings

ACTIONS: dict[str, str] = {
    "deleted": "I deleted it",
    "edited": "I edited it",
    "apologized": "I apologized / corrected it publicly",
    "not_a_problem": "Not a problem",
    "remind_later": "Remind me later",
}
REMIND_AFTER = timedelta(days=1)
MAX_COMMENT = 2000


def actor_for(employee_id: int) -> str:
    """How an employee acting on the review page appears in the audit trail."""
    return f"employee:{employee_id}"


def likelihood(score: float) -> str:
    """The score in words, as the page shows it."""
    if score >= 0.9:
        return "very likely"
    if score >= 0.75:
        return "likely"
    return "possibly"


@dataclass(frozen=True)
class Me:
    """The signed-in employee's own settings."""

    id: int
    email: str
    name: str
    timezone: str
    digest_hour: int
    paused: bool
    digest_subscribed: bool
    opted_in: bool


@dataclass(frozen=True)
class Reason:
    """One finding on a flagged post: why, which rule, how sure."""

    finding_id: int
    category: str
    rule: str
    rule_text: str
    explanation: str
    score: float
    likelihood: str
    next_step: str


@dataclass(frozen=True)
class Flag:
    """One flagged post as the page shows it, however many findings it has.

    ``id`` is the strongest open finding's id: the post's address on the page
    (``/flags/<id>``); any of its finding ids leads to the same card. ``segments`` is the
    whole post with every finding marked (and masked by the one rule of
    :mod:`monitor.alerts.spans`); ``reasons`` are its findings, strongest first.
    """

    id: int
    post_id: int
    network: str
    url: str
    segments: tuple[Segment, ...]
    text_stored: bool
    reasons: tuple[Reason, ...]
    category: str
    score: float
    likelihood: str
    wording_assessed: bool
    language: str | None
    posted_at: datetime | None
    flagged_at: datetime | None
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class HistoryItem:
    """A flag with what became of it (no post text)."""

    id: int
    network: str
    url: str
    category: str
    rule: str
    masked: str
    status: str
    resolution: str | None
    flagged_at: datetime | None
    resolved_at: datetime | None
    actions: tuple[str, ...]


def active_employee(session: Session, employee_id: int) -> Employee | None:
    """The employee if they may use the page (exists and has not opted out)."""
    emp = session.get(Employee, employee_id)
    if emp is None or emp.opted_out_at is not None:
        return None
    return emp


def end_sessions(session: Session, employee_id: int, version: int) -> bool:
    """Sign-out: every session cookie carrying ``version`` (or older) stops working.

    Only a session that is still current can end the others, so a replayed old cookie
    cannot sign a device out again and again.
    """
    emp = active_employee(session, employee_id)
    if emp is None or emp.session_version != version:
        return False
    emp.session_version = version + 1
    session.add(emp)
    return True


def me(session: Session, employee_id: int) -> Me:
    """The employee's settings. Raises NotFound if they are gone or opted out."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    return Me(
        id=emp.id or 0,
        email=emp.email,
        name=emp.name,
        timezone=emp.timezone,
        digest_hour=emp.digest_hour,
        paused=emp.paused,
        digest_subscribed=not emp.digest_unsubscribed,
        opted_in=emp.opted_in_at is not None,
    )


def _to_flag(app: AppConfig, post: Post, findings: list[Finding]) -> Flag:
    ranked = sorted(findings, key=lambda f: (-f.score, f.id or 0))
    top = ranked[0]
    reasons = tuple(
        Reason(
            finding_id=f.id or 0,
            category=f.category,
            rule=f.rule,
            rule_text=app.policy.rule_text(f.rule),
            explanation=f.explanation,
            score=f.score,
            likelihood=likelihood(f.score),
            next_step=NEXT_STEP.get(f.category, "review the post."),
        )
        for f in ranked
    )
    suggestions = tuple(dict.fromkeys(s for f in ranked for s in suggest(f.category)))
    return Flag(
        id=top.id or 0,
        post_id=post.id or 0,
        network=post.network,
        url=post.url,
        segments=segments(post.text, ranked),
        text_stored=post.text is not None,
        reasons=reasons,
        category=top.category,
        score=top.score,
        likelihood=likelihood(top.score),
        wording_assessed=post.wording_assessed,
        language=post.language,
        posted_at=post.created_at,
        flagged_at=max((f.created_at for f in ranked if f.created_at), default=None),
        suggestions=suggestions,
    )


def _by_post(rows: Sequence[tuple[Finding, Post]]) -> list[tuple[Post, list[Finding]]]:
    """Findings grouped by post, in the order their posts first appear."""
    groups: dict[int, tuple[Post, list[Finding]]] = {}
    for finding, post in rows:
        groups.setdefault(post.id or 0, (post, []))[1].append(finding)
    return list(groups.values())


def list_open(session: Session, app: AppConfig, employee_id: int, now: datetime) -> list[Flag]:
    """The employee's flagged posts, one per post, newest flag first; snoozed ones come
    back after their time."""
    return [_to_flag(app, post, found)
            for post, found in _by_post(open_flags(session, employee_id, now))]


def snoozed_count(session: Session, employee_id: int, now: datetime) -> int:
    """Posts with open flags the employee asked to be reminded of later, not due yet."""
    return int(
        session.exec(
            employee_findings(employee_id, sa.func.count(sa.distinct(col(Finding.post_id))))
            .where(
                Finding.status == "open",
                col(Post.deleted_at).is_(None),
                col(Finding.remind_after) > now,
            )
        ).one()
    )


def _own_finding(session: Session, employee_id: int, finding_id: int) -> tuple[Finding, Post]:
    row = session.exec(
        employee_findings(employee_id).where(Finding.id == finding_id)
    ).first()
    if row is None:
        raise NotFound("no such flag")
    return row[0], row[1]


def _open_on_post(session: Session, post: Post) -> list[Finding]:
    return list(session.exec(
        select(Finding).where(Finding.post_id == post.id, Finding.status == "open")
    ).all())


def get_flag(session: Session, app: AppConfig, employee_id: int, finding_id: int) -> Flag:
    """The flagged post that one of the employee's own findings is on (all its open
    findings). Raises NotFound for anyone else's, or when nothing on it is open."""
    finding, post = _own_finding(session, employee_id, finding_id)
    found = _open_on_post(session, post) if finding.status == "open" else [finding]
    return _to_flag(app, post, found)


def resolve(
    session: Session,
    employee_id: int,
    finding_id: int,
    action: str,
    now: datetime,
    comment: str = "",
) -> str:
    """Record the employee's answer to a flagged post and return the flag's status afterwards.

    The answer is for the post: every open finding on it gets it (one card, resolved once).
    ``deleted``, ``edited``, ``apologized`` and ``not_a_problem`` resolve them and cancel
    their pending alerts; ``not_a_problem`` also stops this post's text being flagged for
    these rules again (the classifier's feedback). ``remind_later`` keeps them open and
    hides the post for a day. Raises NotFound (not theirs / no such flag), BadInput (unknown
    action, comment too long) or Conflict (already resolved).
    """
    if action not in ACTIONS:
        raise BadInput(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"comment: longer than {MAX_COMMENT} characters")
    finding, post = _own_finding(session, employee_id, finding_id)
    if finding.status != "open":
        raise Conflict("this flag is already resolved")
    suppressed: set[tuple[str, str]] = set()
    for each in _open_on_post(session, post):
        _answer(session, employee_id, each, action, now, comment)
        key = (each.content_hash, each.rule)
        if action == "not_a_problem" and key not in suppressed:
            suppressed.add(key)
            session.add(Suppression(employee_id=employee_id, content_hash=each.content_hash,
                                    rule=each.rule, created_at=now))
    audit.record(
        session,
        actor_for(employee_id),
        f"review.{action}",
        f"finding:{finding_id}",
        "with comment" if comment else "",
        at=now,
    )
    return finding.status


def _answer(session: Session, employee_id: int, finding: Finding, action: str, now: datetime,
            comment: str) -> None:
    session.add(Review(finding_id=finding.id or 0, employee_id=employee_id, action=action,
                       comment=comment, created_at=now))
    if action == "remind_later":
        finding.remind_after = now + REMIND_AFTER
    else:
        finding.status, finding.resolution, finding.resolved_at = "resolved", action, now
        outbox.cancel_for_finding(session, finding.id or 0)
    session.add(finding)


def history(session: Session, employee_id: int, limit: int = 200) -> list[HistoryItem]:
    """Every flag of the employee, newest first, with the actions they took."""
    rows = session.exec(
        employee_findings(employee_id)
        .order_by(col(Finding.created_at).desc(), col(Finding.id).desc())
        .limit(limit)
    ).all()
    ids = [f.id for f, _ in rows]
    actions: dict[int, list[str]] = defaultdict(list)
    for r in session.exec(
        select(Review)
        .where(col(Review.finding_id).in_(ids), Review.employee_id == employee_id)
        .order_by(col(Review.created_at))
    ):
        actions[r.finding_id].append(r.action)
    return [
        HistoryItem(
            id=f.id or 0,
            network=p.network,
            url=p.url,
            category=f.category,
            rule=f.rule,
            masked=f.masked,
            status=f.status,
            resolution=f.resolution,
            flagged_at=f.created_at,
            resolved_at=f.resolved_at,
            actions=tuple(actions.get(f.id or 0, ())),
        )
        for f, p in rows
    ]


def update_settings(
    session: Session,
    employee_id: int,
    digest_hour: int,
    timezone: str,
    digest_subscribed: bool,
    now: datetime,
) -> Me:
    """Change the digest hour, time zone and digest subscription. Raises BadInput."""
    if not 0 <= digest_hour <= 23:
        raise BadInput(f"digest hour: {digest_hour} is not an hour (expected 0-23)")
    employees.check_timezone(timezone)
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    emp.digest_hour, emp.timezone = digest_hour, timezone
    emp.digest_unsubscribed = not digest_subscribed
    session.add(emp)
    audit.record(
        session,
        actor_for(employee_id),
        "settings.update",
        f"employee:{employee_id}",
        f"digest_hour={digest_hour} timezone={timezone} "
        f"digest={'on' if digest_subscribed else 'off'}",
        at=now,
    )
    return me(session, employee_id)


def set_paused(session: Session, employee_id: int, paused: bool, now: datetime) -> None:
    """Pause or resume monitoring (polling skips paused employees; nothing is erased)."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    emp.paused = paused
    session.add(emp)
    action = "employee.pause" if paused else "employee.resume"
    audit.record(session, actor_for(employee_id), action, f"employee:{employee_id}", at=now)


def unsubscribe_digest(session: Session, employee_id: int, now: datetime) -> None:
    """Stop the daily digest (immediate alerts for serious flags still arrive)."""
    emp = session.get(Employee, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    if not emp.digest_unsubscribed:
        emp.digest_unsubscribed = True
        session.add(emp)
    audit.record(
        session, actor_for(employee_id), "digest.unsubscribe", f"employee:{employee_id}", at=now
    )


def opt_out(session: Session, employee_id: int) -> dict[str, int]:
    """Stop monitoring and erase the employee's data.

    See :func:`monitor.people.employees.opt_out`.
    """
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    return employees.opt_out(session, emp.email, actor=actor_for(employee_id))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = _iso(value) if isinstance(value, datetime) else value
    return out


def export_data(session: Session, employee_id: int, now: datetime) -> dict[str, Any]:
    """Everything stored about the employee, as plain JSON-ready values (audited)."""
    emp = active_employee(session, employee_id)
    if emp is None:
        raise NotFound("no such employee")
    accounts = list(session.exec(select(Account).where(Account.employee_id == employee_id)))
    account_ids = [a.id for a in accounts]
    posts = list(session.exec(select(Post).where(col(Post.account_id).in_(account_ids))))
    post_ids = [p.id for p in posts]
    findings = list(session.exec(select(Finding).where(col(Finding.post_id).in_(post_ids))))
    subject = f"employee:{employee_id}"
    audit.record(session, actor_for(employee_id), "data.export", subject, at=now)
    session.flush()
    return {
        "exported_at": now.isoformat(),
        "employee": _row(emp, (
            "id", "email", "name", "timezone", "digest_hour", "digest_unsubscribed", "paused",
            "own_contacts", "opted_in_at", "opted_out_at", "created_at",
        )),
        "accounts": [_row(a, (
            "id", "network", "handle", "native_id", "status", "status_reason",
            "last_polled_at", "next_poll_at", "created_at",
        )) for a in accounts],
        "posts": [_row(p, (
            "id", "account_id", "network", "native_id", "url", "text", "language",
            "wording_assessed", "created_at", "edited_at", "deleted_at", "fetched_at",
        )) for p in posts],
        "findings": [_row(f, (
            "id", "post_id", "detector", "detector_version", "category", "kind", "rule",
            "start", "end", "masked", "score", "explanation", "decision", "status",
            "resolution", "resolved_at", "remind_after", "created_at",
        )) for f in findings],
        "reviews": [_row(r, ("id", "finding_id", "action", "comment", "created_at"))
                    for r in session.exec(select(Review).where(Review.employee_id == employee_id))],
        "alerts": [_row(a, ("id", "finding_id", "kind", "channel", "status", "attempts",
                            "created_at", "sent_at"))
                   for a in session.exec(select(Alert).where(Alert.employee_id == employee_id))],
        "suppressions": [_row(s, ("id", "content_hash", "rule", "category", "created_at"))
                         for s in session.exec(
                             select(Suppression).where(Suppression.employee_id == employee_id))],
        "audit": [_row(e, ("at", "actor", "action", "subject", "detail"))
                  for e in session.exec(
                      select(AuditEvent)
                      .where(sa.or_(col(AuditEvent.subject) == subject,
                                    col(AuditEvent.actor) == actor_for(employee_id)))
                      .order_by(col(AuditEvent.at)))],
    }


# --- the compliance view: aggregates only ------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    """An unresolved high-severity flag past the policy's escalation age.

    No post address: the escalation names who should act on which rule, but a link to the
    post would let the compliance view read employees' posts, which it never does.
    """

    finding_id: int
    employee_email: str
    network: str
    category: str
    rule: str
    masked: str
    days_open: int


@dataclass(frozen=True)
class Cell:
    """One count on the compliance view.

    ``value`` is None when the count is not shown: ``reason`` is ``"small"`` when it was
    drawn from fewer than ``compliance.min_cell_size`` employees, ``"complement"`` when it is
    hidden only so that a small one cannot be worked out from a total (see
    :func:`_suppress`).
    """

    value: int | None
    reason: str = ""

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class ComplianceSummary:
    since: datetime
    min_cell_size: int
    total: Cell
    resolved: Cell
    share_resolved: float | None
    median_hours_to_resolve: float | None
    by_category: dict[str, Cell]
    weeks: list[str]
    by_week: dict[str, dict[str, Cell]]
    hidden_small: int
    hidden_complement: int
    escalation_enabled: bool
    escalation_after_days: int
    escalated: list[Escalated]


def iso_week(value: datetime) -> str:
    year, week, _ = value.isocalendar()
    return f"{year}-W{week:02d}"


_Key = tuple[str, ...]


def _suppress(
    counts: dict[_Key, int],
    people: dict[_Key, set[int]],
    groups: list[tuple[_Key, list[_Key]]],
    k: int,
) -> dict[_Key, str]:
    """Which cells to hide, and why: ``{key: "small" | "complement"}``.

    Primary suppression: a non-zero count drawn from fewer than ``k`` distinct employees is
    hidden (zero is shown: it is about nobody).

    Secondary (complementary) suppression, chosen over rounding: every ``(total, parts)``
    group is a sum the reader can do (the flags total is the sum of the categories, a
    category is the sum of its weeks, the total is resolved plus open). A group with exactly
    one hidden member would give that member away by subtraction, so another member is
    hidden with it: the smallest shown non-zero part (least information lost), or the
    group's total when no part is left. This repeats until no group has exactly one hidden
    member, since hiding a complement can leave another group with one. Rounding was not
    chosen because rounded cells still sum to rounded totals that, with few cells, pin down
    a count of one or two people; hiding keeps the numbers shown exact. A pair of hidden
    cells still gives away their sum, which is drawn from at least ``k`` employees because
    the complement itself is.

    Cells such as "open flags", which the page never shows but a reader could compute, take
    part in the groups like any other.
    """
    hidden: dict[_Key, str] = {
        key: "small" for key, n in counts.items() if n > 0 and len(people.get(key, ())) < k
    }
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            members = [total, *parts]
            if sum(1 for m in members if m in hidden) != 1:
                continue
            candidates = sorted(
                (counts.get(p, 0), p) for p in parts if p not in hidden and counts.get(p, 0) > 0
            )
            if candidates:
                hidden[candidates[0][1]] = "complement"
            else:
                hidden[total] = "complement"
            changed = True
    return hidden


def compliance_summary(
    session: Session, app: AppConfig, now: datetime, actor: str, weeks: int = 12
) -> ComplianceSummary:
    """Counts by category and ISO week, share resolved and median time to resolve.

    Every count is computed together with the set of employees it is drawn from; a count
    from fewer than ``compliance.min_cell_size`` employees is hidden, and so is a
    complement where a total would give it away (see :func:`_suppress`). The share resolved
    is shown only when both of its counts are; the median time to resolve only when the
    resolved flags come from enough employees (one person's median is theirs alone).

    No post, no employee, unless ``policy.escalation.enabled``: then unresolved alert-level
    flags older than ``after_days`` are listed by employee (a deliberate, audited exception
    to aggregation, without the post's address), and showing them is audited.
    """
    k = app.settings.compliance.min_cell_size
    since = now - timedelta(weeks=weeks)
    rows = session.execute(
        sa.select(
            col(Finding.category), col(Finding.status), col(Finding.created_at),
            col(Finding.resolved_at), col(Account.employee_id),
        )
        .join(Post, col(Finding.post_id) == col(Post.id))
        .join(Account, col(Post.account_id) == col(Account.id))
        .where(col(Finding.created_at) >= since)
    ).all()
    counts: Counter[_Key] = Counter()
    people: dict[_Key, set[int]] = defaultdict(set)
    durations: list[float] = []
    categories: set[str] = set()
    week_names: set[str] = set()

    def add(key: _Key, employee_id: int) -> None:
        counts[key] += 1
        people[key].add(employee_id)

    for category, status, created, resolved_at, employee_id in rows:
        categories.add(category)
        add(("total",), employee_id)
        add(("category", category), employee_id)
        if created is not None:
            week_names.add(iso_week(created))
            add(("week", iso_week(created), category), employee_id)
        if status == "resolved":
            add(("resolved",), employee_id)
            if created is not None and resolved_at is not None:
                durations.append((resolved_at - created).total_seconds() / 3600)
        else:
            add(("open",), employee_id)
    ordered_weeks = sorted(week_names)
    ordered_categories = sorted(categories)
    groups: list[tuple[_Key, list[_Key]]] = [
        (("total",), [("category", c) for c in ordered_categories]),
        (("total",), [("resolved",), ("open",)]),
    ]
    groups += [(("category", c), [("week", w, c) for w in ordered_weeks])
               for c in ordered_categories]
    hidden = _suppress(dict(counts), people, groups, k)

    def cell(key: _Key) -> Cell:
        if key in hidden:
            return Cell(None, hidden[key])
        return Cell(counts.get(key, 0))

    total, resolved = cell(("total",)), cell(("resolved",))
    resolved_from_enough = len(people.get(("resolved",), ())) >= k
    esc = app.policy.escalation
    escalated: list[Escalated] = []
    if esc.enabled:
        escalated = _escalated(session, now, esc.after_days)
        audit.record(
            session, actor, "compliance.escalation_view", "compliance",
            f"after_days={esc.after_days} shown={len(escalated)} findings="
            + ",".join(str(e.finding_id) for e in escalated[:50]),
            at=now,
        )
    shown_keys = [key for key in hidden if key != ("open",)]
    audit.record(session, actor, "compliance.view", "compliance",
                 f"weeks={weeks} min_cell_size={k} hidden={len(shown_keys)}", at=now)
    return ComplianceSummary(
        since=since,
        min_cell_size=k,
        total=total,
        resolved=resolved,
        share_resolved=(
            resolved.value / total.value
            if resolved.value is not None and total.value else None
        ),
        median_hours_to_resolve=(
            statistics.median(durations) if durations and resolved_from_enough else None
        ),
        by_category={c: cell(("category", c)) for c in ordered_categories},
        weeks=ordered_weeks,
        by_week={w: {c: cell(("week", w, c)) for c in ordered_categories} for w in ordered_weeks},
        hidden_small=sum(1 for k_, why in hidden.items() if why == "small" and k_ != ("open",)),
        hidden_complement=sum(1 for why in hidden.values() if why == "complement"),
        escalation_enabled=esc.enabled,
        escalation_after_days=esc.after_days,
        escalated=escalated,
    )


def _escalated(session: Session, now: datetime, after_days: int) -> list[Escalated]:
    cutoff = now - timedelta(days=after_days)
    rows = session.exec(
        select(Finding, Post, Employee.email)
        .join(Post, col(Finding.post_id) == col(Post.id))
        .join(Account, col(Post.account_id) == col(Account.id))
        .join(Employee, col(Account.employee_id) == col(Employee.id))
        .where(
            Finding.status == "open",
            Finding.decision == "alert",
            col(Finding.created_at) <= cutoff,
            col(Post.deleted_at).is_(None),
            col(Employee.opted_out_at).is_(None),
        )
        .order_by(col(Finding.created_at))
    ).all()
    return [
        Escalated(
            finding_id=f.id or 0,
            employee_email=email,
            network=p.network,
            category=f.category,
            rule=f.rule,
            masked=f.masked,
            days_open=(now - f.created_at).days if f.created_at else 0,
        )
        for f, p, email in rows
    ]
