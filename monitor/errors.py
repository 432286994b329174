"""The monitor's error types: one tree, each leaf saying when it is raised and what the
caller does with it.

Error tree::

    MonitorError                  raised on purpose, message one line, never post text
    ├── ConfigError               settings or policy invalid (every ConfigProblem listed).
    │                             CLI: one line per problem, exit 2; the daemon does not start.
    ├── BadInput                  input malformed: a file, a field, a form value (says which).
    │   │                         CLI: "error: ...", exit 1; web: the page again, 400.
    │   └── BadLink               a link forged, expired, spent or meant for another purpose.
    │                             web: the sign-in/unsubscribe page says so, 400.
    ├── NotFound                  the employee, account, flag or alert named does not exist
    │                             (or is someone else's). CLI: exit 1; web: 404.
    ├── Conflict                  contradicts stored state: duplicate, opted out, resolved,
    │                             another daemon holds the lock. CLI: exit 1; web: 400.
    ├── StorageUnavailable        the database cannot be reached (raised by
    │                             storage.db.session_scope). CLI: exit 1; the daemon logs the
    │                             job and tries again next tick; /healthz says unavailable.
    └── DeliveryError             a message could not be handed to the mail server.
        ├── PermanentSendError    never deliverable as addressed (5xx for that recipient).
        │                         outbox: the alert is dead, with the server's reason.
        └── TransientSendError    the server unreachable or deferring (refused, timeout, 4xx).
            │                     outbox: retried with capped back-off, never dead.
            └── OperatorSendError our side misconfigured (login, TLS). outbox: retried,
                                  never dead, and an error line for the operator.

Outside this tree, by design: the plug-ins know nothing of the monitor, so connector errors
(``connectors.base.ConnectorError``: AuthFailed, AccountUnavailable, RateLimited,
SourceUnavailable...) are turned into account states by the poller, and a failing detector
is isolated by the classifier pipeline and recorded with the post. ``web.context
.SignInRequired`` is control flow (a redirect to the sign-in page), not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class MonitorError(Exception):
    """Root of the tree above: a mistake or an outage the message explains in one line."""


@dataclass(frozen=True)
class ConfigProblem:
    source: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.message}"


class ConfigError(MonitorError):
    """Settings or policy invalid; ``problems`` lists each with its file, key and why."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid configuration")


class BadInput(MonitorError):
    """Input is malformed; the message names the file or field and what was expected."""


class BadLink(BadInput):
    """A review, sign-in or unsubscribe link that is forged, expired, spent or misused."""


class NotFound(MonitorError):
    """What the user named does not exist for them (someone else's is not found either)."""


class Conflict(MonitorError):
    """The request contradicts stored state (a duplicate, opted out, already resolved)."""


class StorageUnavailable(MonitorError):
    """The database cannot be reached; the message never quotes the values it was given."""


class DeliveryError(MonitorError):
    """A message (alert, digest, sign-in link) could not be handed to the mail server."""


class PermanentSendError(DeliveryError):
    """The message can never be delivered as addressed (bad recipient)."""


class TransientSendError(DeliveryError):
    """The server was unreachable or refused for now: try again later."""


class OperatorSendError(TransientSendError):
    """Our side is misconfigured (login refused, TLS certificate not trusted, no STARTTLS).

    Not the alert's fault: the outbox keeps retrying it with back-off and never marks it dead
    for this, and logs an error for the operator; once the settings are fixed, it goes out.
    """


# What a database error quotes of the values it was given.
_QUOTED_VALUES = re.compile(
    r"\[parameters: .*?\]\s*$|^DETAIL:.*$|^\s*\(Background on this error.*$",
    re.MULTILINE | re.DOTALL,
)
_MAX_ERROR = 300


def redact_error(exc: BaseException) -> str:
    """``Type: message`` with whatever could quote data removed: SQL parameters and the
    driver's DETAIL lines, the SQL itself; long messages cut. For logs, the CLI and the
    errors raised at the storage boundary."""
    name = type(exc).__name__
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
    if isinstance(orig, BaseException):
        text = str(orig)
        if type(orig).__name__ != name:
            name = f"{name} ({type(orig).__name__})"
    else:
        text = str(exc)
    text = _QUOTED_VALUES.sub("", text.split("[SQL:", 1)[0]).strip()
    text = " ".join(text.split())
    if len(text) > _MAX_ERROR:
        text = text[:_MAX_ERROR] + "…"
    return f"{name}: {text}" if text else name
