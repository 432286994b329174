"""Optional chat/push channels (Slack, Teams, Matrix, ntfy, webhooks, ...) through apprise.

Channels are configured by apprise URL: ``channels.urls`` in the settings and, since the URLs
hold tokens, ``SOCIAL_MONITOR_CHANNEL_URLS`` (space- or newline-separated) in the environment.
Every immediate alert gets one outbox row per channel besides its e-mail row (dedupe key
``finding:ID:CHANNEL:immediate``), so a failing channel retries and dies on its own and never
holds up the e-mail or another channel.

A channel is named by a label, ``SCHEME:HASH`` (e.g. ``json:3f9a0c1b2d``): the URL itself is
never stored, shown or logged. Apprise's own log lines can quote URLs, so they are kept out
of our logs; its warnings reach ``last_error`` only with every part of the URL masked.

What a channel gets: the network, the category, the rule and the review page's address.
A chat channel may be shared, so there is no post text, no employee name and no sign-in
token in it (the employee signs in through the link in their e-mail, or asks for a fresh
one on that page).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from monitor.alerts.mailer import network_label
from monitor.config import AppConfig
from monitor.errors import PermanentSendError, TransientSendError
from monitor.storage.models import AlertRow, FindingRow, PostRow

CATEGORY_WORDS = {
    "harmful": "hurtful or harmful wording",
    "personal_data": "personal data",
    "credentials": "a password, key or token",
    "confidential": "confidential company information",
    "legal": "legal matters",
}
_apprise_log = logging.getLogger("apprise")
_apprise_log.addHandler(logging.NullHandler())
_apprise_log.propagate = False  # its lines can quote channel URLs, which hold tokens
_load_lock = threading.Lock()


@dataclass(frozen=True)
class ChannelMessage:
    title: str
    body: str


class ChannelSender(Protocol):
    """What the outbox needs of a channel transport: raise Permanent/TransientSendError."""

    def send(self, channel: str, msg: ChannelMessage) -> None: ...


def channel_label(url: str) -> str:
    """A stable name for a channel URL that shows its kind and nothing secret."""
    scheme = re.sub(r"[^a-z0-9+.-]", "", url.split("://", 1)[0].lower())[:12] or "url"
    return f"{scheme}:{hashlib.sha256(url.encode()).hexdigest()[:10]}"


def configured_channels(app: AppConfig) -> dict[str, str]:
    """Label -> URL of every configured channel (settings first, then the environment)."""
    urls = list(app.settings.channels.urls)
    if app.secrets.channel_urls is not None:
        urls += app.secrets.channel_urls.get_secret_value().split()
    return {channel_label(u): u for u in (u.strip() for u in urls) if u}


def scrub(text: str, url: str) -> str:
    """``text`` with every part of ``url`` (host, user, password, path, query) masked."""
    rest = url.split("://", 1)[-1]
    parts = sorted({p for p in re.split(r"[/:@?&=#,;]+", rest) if len(p) >= 3}, key=len,
                   reverse=True)
    for part in parts:
        text = text.replace(part, "***")
    return text


def compose_channel(
    session: Session, app: AppConfig, alert: AlertRow, now: datetime
) -> ChannelMessage | None:
    """The chat message for an immediate alert; None once the flag is gone."""
    finding = session.get(FindingRow, alert.finding_id) if alert.finding_id else None
    if alert.kind != "immediate" or finding is None or finding.status != "open":
        return None
    post = session.get(PostRow, finding.post_id)
    if post is None or post.deleted_at is not None:
        return None
    base = app.settings.review.base_url.rstrip("/")
    category = CATEGORY_WORDS.get(finding.category, finding.category.replace("_", " "))
    return ChannelMessage(
        title="A post needs its author's review",
        body=(
            f"Network: {network_label(post.network)}\n"
            f"Category: {category}\n"
            f"{app.policy.rule_text(finding.rule)}\n"
            f"Review page: {base}/signin (sign in with the link in the e-mail alert, "
            "or ask for a fresh one there)"
        ),
    )


class AppriseTransport:
    """Sends one notification to one configured channel per call."""

    def __init__(self, app: AppConfig, timeout_seconds: float | None = None) -> None:
        self.channels = configured_channels(app)
        self.timeout = timeout_seconds or app.settings.smtp.timeout_seconds

    def send(self, channel: str, msg: ChannelMessage) -> None:
        url = self.channels.get(channel)
        if url is None:
            raise PermanentSendError(f"channel {channel} is no longer configured")
        import apprise

        # No plugins from the home folder, nothing persisted on disk.
        asset = apprise.AppriseAsset(plugin_paths=[], storage_mode="memory")
        notifier = apprise.Apprise(asset=asset)
        with _load_lock, warnings.catch_warnings():
            # apprise's plugin loader imports the deprecated imghdr module once.
            warnings.filterwarnings("ignore", message=".*imghdr.*", category=DeprecationWarning)
            if not notifier.add(url):
                raise PermanentSendError(f"channel {channel}: not a valid apprise URL")
        lines: list[str] = []

        def _keep(entry: Any, _plugin: Any) -> None:
            if getattr(entry, "level", "") in ("WARNING", "ERROR", "CRITICAL"):
                lines.append(str(getattr(entry, "message", "")))

        result = notifier.notify(body=msg.body, title=msg.title, body_format="text",
                                 timeout=self.timeout, log_callback=_keep)
        if not result:
            if getattr(result, "timeout_count", 0):
                detail = f"no answer within {self.timeout:g} s"
            else:
                detail = scrub(lines[-1], url) if lines else "no reason given"
            raise TransientSendError(f"channel {channel} did not take the notification: "
                                     f"{detail[:300]}")
