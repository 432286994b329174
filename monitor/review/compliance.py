"""The compliance view's figures: aggregates only (cells from fewer than
``compliance.min_cell_size`` employees hidden, with their complement), plus the flags the
policy explicitly escalates when ``escalation.enabled`` is on.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.config import AppConfig
from monitor.storage import audit
from monitor.storage.models import (
    AccountRow,
    EmployeeRow,
    FindingRow,
    PostRow,
)


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
            col(FindingRow.category), col(FindingRow.status), col(FindingRow.created_at),
            col(FindingRow.resolved_at), col(AccountRow.employee_id),
        )
        .join(PostRow, col(FindingRow.post_id) == col(PostRow.id))
        .join(AccountRow, col(PostRow.account_id) == col(AccountRow.id))
        .where(col(FindingRow.created_at) >= since)
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
        select(FindingRow, PostRow, EmployeeRow.email)
        .join(PostRow, col(FindingRow.post_id) == col(PostRow.id))
        .join(AccountRow, col(PostRow.account_id) == col(AccountRow.id))
        .join(EmployeeRow, col(AccountRow.employee_id) == col(EmployeeRow.id))
        .where(
            FindingRow.status == "open",
            FindingRow.decision == "alert",
            col(FindingRow.created_at) <= cutoff,
            col(PostRow.deleted_at).is_(None),
            col(EmployeeRow.opted_out_at).is_(None),
        )
        .order_by(col(FindingRow.created_at))
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
