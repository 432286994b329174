"""Queries more than one room asks: written once here, next to the tables they read."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from monitor.storage.models import Account, Finding, Post


def employee_findings(employee_id: int, *columns: Any) -> Any:
    """``SELECT columns`` (default: Finding, Post) over one employee's own findings.

    The one ownership join (finding → post → account → employee): every query that shows
    or changes an employee's flags starts here, so none can reach another employee's rows.
    Callers add their own filters and order.
    """
    return (
        select(*(columns or (Finding, Post)))
        .select_from(Finding)
        .join(Post, col(Finding.post_id) == col(Post.id))
        .join(Account, col(Post.account_id) == col(Account.id))
        .where(Account.employee_id == employee_id)
    )
