"""An employee's flags as the review page shows and answers them: one card per post.

Every function takes the employee's id and only reaches rows through their own accounts
(``storage.queries.employee_findings``), so a flag id from someone else is
:class:`~monitor.errors.NotFound`, exactly as if it did not exist. Every answer leaves an
audit line with ids and actions only (never post text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.alerts import outbox
from monitor.alerts.digest import open_flags
from monitor.alerts.mailer import NEXT_STEP
from monitor.alerts.spans import Segment, segments
from monitor.config import AppConfig
from monitor.errors import BadInput, Conflict, NotFound
from monitor.review.own import actor_for
from monitor.review.suggestions import Suggestion, suggest
from monitor.storage import audit
from monitor.storage.models import (
    FindingRow,
    PostRow,
    ReviewRow,
    SuppressionRow,
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


def likelihood(score: float) -> str:
    """The score in words, as the page shows it."""
    if score >= 0.9:
        return "very likely"
    if score >= 0.75:
        return "likely"
    return "possibly"


@dataclass(frozen=True)
class Reason:
    """One finding on a flagged post: why, which rule, how sure."""

    finding_id: int
    category: str
    kind: str  # what the detector found within the category (health_data, phone, ...)
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
    # Detectors that could not run on this post's text (the others' findings stand).
    not_checked: tuple[str, ...] = ()


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


def _to_flag(app: AppConfig, post: PostRow, findings: list[FindingRow]) -> Flag:
    ranked = sorted(findings, key=lambda f: (-f.score, f.id or 0))
    top = ranked[0]
    reasons = tuple(
        Reason(
            finding_id=f.id or 0,
            category=f.category,
            kind=f.kind or "",
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
        not_checked=tuple(n for n in post.failed_detectors.split(",") if n),
    )


def _by_post(rows: Sequence[tuple[FindingRow, PostRow]]) -> list[tuple[PostRow, list[FindingRow]]]:
    """Findings grouped by post, in the order their posts first appear."""
    groups: dict[int, tuple[PostRow, list[FindingRow]]] = {}
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
            employee_findings(employee_id, sa.func.count(sa.distinct(col(FindingRow.post_id))))
            .where(
                FindingRow.status == "open",
                col(PostRow.deleted_at).is_(None),
                col(FindingRow.remind_after) > now,
            )
        ).one()
    )


def _own_finding(session: Session, employee_id: int, finding_id: int) -> tuple[FindingRow, PostRow]:
    row = session.exec(
        employee_findings(employee_id).where(FindingRow.id == finding_id)
    ).first()
    if row is None:
        raise NotFound("no such flag")
    return row[0], row[1]


def _open_on_post(session: Session, post: PostRow) -> list[FindingRow]:
    return list(session.exec(
        select(FindingRow).where(FindingRow.post_id == post.id, FindingRow.status == "open")
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
            session.add(SuppressionRow(employee_id=employee_id, content_hash=each.content_hash,
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


def _answer(session: Session, employee_id: int, finding: FindingRow, action: str, now: datetime,
            comment: str) -> None:
    session.add(ReviewRow(finding_id=finding.id or 0, employee_id=employee_id, action=action,
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
        .order_by(col(FindingRow.created_at).desc(), col(FindingRow.id).desc())
        .limit(limit)
    ).all()
    ids = [f.id for f, _ in rows]
    actions: dict[int, list[str]] = defaultdict(list)
    for r in session.exec(
        select(ReviewRow)
        .where(col(ReviewRow.finding_id).in_(ids), ReviewRow.employee_id == employee_id)
        .order_by(col(ReviewRow.created_at))
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


