"""What one poll reports (outcome, counts, what to do next), and what a poll is handed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Connector

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
