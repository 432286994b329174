"""What a failed poll or re-check leaves behind: the error's name, when to ask again, and
the rest of a host (a rate limit) or its pause (credentials refused), logged for the operator.

Shared by the poller and the re-check; imports only the scheduling of host rests.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from connectors.base import AuthFailed, ConnectorError, RateLimited
from monitor.config import AppConfig
from monitor.polling import scheduling
from monitor.polling.report import PollReport

log = logging.getLogger("monitor.polling")

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


def retry_at(app: AppConfig, exc: RateLimited, now: datetime) -> datetime:
    """When a rate-limited source may be asked again: its reset, within the configured cap."""
    longest = timedelta(seconds=app.settings.polling.max_retry_after_seconds)
    return min(max(exc.retry_at, now), now + longest)


def rest_host(session: Session, report: PollReport, until: datetime, exc: Exception,
               now: datetime) -> bool:
    """Rest (rate limit) or pause (credentials refused) the report's host until ``until``;
    True if it was not resting for that reason already."""
    reason = scheduling.AUTH_FAILED if isinstance(exc, AuthFailed) else scheduling.RATE_LIMITED
    report.host_until = until
    return scheduling.rest_host(session, report.network, report.host, until, reason, now)


def log_host_rest(report: PollReport, account_id: int, exc: Exception, started: bool) -> None:
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
