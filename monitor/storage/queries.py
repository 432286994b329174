"""Queries more than one room asks: written once here, next to the tables they read."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from monitor.storage.models import AccountRow, FindingRow, PostRow


def employee_findings(employee_id: int, *columns: Any) -> Any:
    """``SELECT columns`` (default: FindingRow, PostRow) over one employee's own findings.

    The one ownership join (finding → post → account → employee): every query that shows
    or changes an employee's flags starts here, so none can reach another employee's rows.
    Callers add their own filters and order.
    """
    return (
        select(*(columns or (FindingRow, PostRow)))
        .select_from(FindingRow)
        .join(PostRow, col(FindingRow.post_id) == col(PostRow.id))
        .join(AccountRow, col(PostRow.account_id) == col(AccountRow.id))
        .where(AccountRow.employee_id == employee_id)
    )
