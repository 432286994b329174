"""Alert and digest e-mails: built with EmailMessage from Jinja2 templates, sent over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.alerts.links import safe_url
from monitor.alerts.spans import Segment, segments, window
from monitor.config import AppConfig
from monitor.errors import OperatorSendError, PermanentSendError, TransientSendError
from monitor.storage.models import EmployeeRow, FindingRow, PostRow

_env = Environment(
    loader=PackageLoader("monitor.alerts", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    keep_trailing_newline=True,
)

# Headers up to RFC 5322's 998-character line, not folded at 78: the default policy folds a
# long word (a List-Unsubscribe URL) by RFC 2047-encoding it, which mail clients cannot
# read there (RFC 2369 wants the raw <https://...>).
MAIL_POLICY = policy.default.clone(max_line_length=998)

# Rule 5, by category: what the employee can do next.
NEXT_STEP = {
    "harmful": "edit or delete the post; if someone was hurt, apologize to them.",
    "personal_data": "delete the post, or edit out the personal data.",
    "credentials": "delete the post and have the credential revoked at once.",
    "confidential": "delete the post or edit out the confidential detail.",
    "legal": "delete the post unless legal has cleared it.",
}
SNIPPET_CONTEXT = 60

# The immediate alert's subject names what the post may hold (the strongest finding).
SUBJECT_WORDS = {
    "harmful": "hurtful wording",
    "personal_data": "customer or personal data",
    "credentials": "password or access key",
    "confidential": "confidential information",
    "legal": "comment on a legal matter",
}

# How each network is named to a person ("your exported post", "your X post").
NETWORK_LABEL = {
    "x": "X",
    "reddit": "Reddit",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "rss": "blog",
    "file": "exported",
    "linkedin-export": "LinkedIn",
}


def network_label(network: str) -> str:
    return NETWORK_LABEL.get(network, network)


@dataclass(frozen=True)
class Item:
    """One flagged post as a mail shows it: a snippet with the strongest span marked, then
    every reason it was flagged, the rules they touch and what to do (each said once)."""

    network: str
    url: str
    segments: tuple[Segment, ...]
    reasons: tuple[str, ...]
    rule_texts: tuple[str, ...]
    next_steps: tuple[str, ...]
    post_id: int = 0
    category: str = ""  # the strongest finding's, for the subject


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def items_for(app: AppConfig, flags: Sequence[tuple[FindingRow, PostRow]]) -> list[Item]:
    """One item per post (in the order given), however many findings it has."""
    by_post: dict[int, list[tuple[FindingRow, PostRow]]] = {}
    for finding, post in flags:
        by_post.setdefault(post.id or 0, []).append((finding, post))
    items = []
    for group in by_post.values():
        post = group[0][1]
        findings = sorted((f for f, _ in group), key=lambda f: -f.score)
        items.append(Item(
            network=network_label(post.network),
            url=safe_url(post.url),
            segments=window(segments(post.text, findings), SNIPPET_CONTEXT),
            reasons=_unique(f.explanation for f in findings),
            rule_texts=_unique(app.policy.rule_text(f.rule) for f in findings),
            next_steps=_unique(NEXT_STEP.get(f.category, "review the post.") for f in findings),
            post_id=post.id or 0,
            category=findings[0].category,
        ))
    return items


def subject_for_post(item: Item) -> str:
    """The immediate alert's subject: what may be wrong, and where."""
    what = SUBJECT_WORDS.get(item.category, "something to check")
    return f"Possible {what} in your {item.network} post"


def build_message(
    app: AppConfig,
    employee: EmployeeRow,
    items: Sequence[Item],
    subject: str,
    link: str,
    message_id: str,
    now: datetime,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    context = {
        "name": employee.name or employee.email,
        "items": items,
        "posts": len(items),
        "link": link,
        "subject": subject,
        "rule5": app.policy.rule_text("5"),
    }
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = app.settings.smtp.sender
    try:
        msg["To"] = employee.email
    except (ValueError, IndexError) as exc:  # the header parser's way of saying "malformed"
        raise PermanentSendError(f"malformed recipient address {employee.email!r}") from exc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(_env.get_template("alert.txt.j2").render(context))
    msg.add_alternative(_env.get_template("alert.html.j2").render(context), subtype="html")
    return msg


def _answer(raw: bytes | str) -> str:
    """An SMTP server's answer text, one line, bounded (it goes into ``alert.last_error``)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:300]


class SmtpTransport:
    """Sends one message per connection attempt; classifies failures for the outbox.

    TLS (implicit, ``smtp.tls``) and STARTTLS verify the server's certificate against the
    system's CAs, or only against ``smtp.ca_file`` when set (a private or self-signed CA).
    """

    def __init__(self, app: AppConfig) -> None:
        self.settings = app.settings.smtp
        pw = app.secrets.smtp_password
        self.password = pw.get_secret_value() if pw is not None else None

    def tls_context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        try:
            return ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise OperatorSendError(f"smtp.ca_file {ca_file!r} cannot be used: {exc}") from exc

    def send(self, msg: EmailMessage) -> None:
        s = self.settings
        where = f"SMTP {s.host}:{s.port}"
        try:
            smtp: smtplib.SMTP
            if s.tls:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                        context=self.tls_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            with smtp:
                if s.starttls and not s.tls:
                    smtp.starttls(context=self.tls_context())
                if s.username:
                    smtp.login(s.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise OperatorSendError(
                f"{where} refused the login ({exc.smtp_code}): check smtp.username and "
                "SOCIAL_MONITOR_SMTP_PASSWORD") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise OperatorSendError(
                f"{where} does not offer what the settings ask for ({exc}): check smtp.starttls, "
                "smtp.tls and smtp.username") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= c < 500 for c in codes):
                raise TransientSendError(f"recipient deferred ({codes[0]})") from exc
            code, answer = next(iter(exc.recipients.values()))
            raise PermanentSendError(
                f"recipient refused: {msg['To']} ({code} {_answer(answer)})") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code in (530, 534, 538):  # authentication or encryption required
                raise OperatorSendError(
                    f"{where} requires authentication or encryption ({exc.smtp_code}): check "
                    "smtp.username, smtp.starttls and smtp.tls") from exc
            if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
                # Refused at the greeting: the server is not taking mail now, whatever the
                # code; no message's fault.
                raise TransientSendError(f"{where} unavailable: {exc.smtp_code}") from exc
            if 500 <= exc.smtp_code < 600 and exc.smtp_code != 535:
                raise PermanentSendError(f"server refused: {exc.smtp_code} "
                                         f"{_answer(exc.smtp_error)}") from exc
            raise TransientSendError(f"server said {exc.smtp_code}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise OperatorSendError(
                f"{where}: TLS certificate not trusted ({exc.verify_message}); set smtp.ca_file "
                "to the CA that signed it") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"{where} unavailable: {exc}") from exc
