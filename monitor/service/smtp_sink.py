"""A local SMTP server (aiosmtpd on loopback) that keeps what it receives.

Used by `social-monitor demo` and by the tests as a real SMTP peer.
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now (aiosmtpd's controller cannot be started on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.sink.refuse_all:
            return "451 4.3.0 try again later"
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            return "553 5.1.3 malformed address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.sink._store(raw)
        return "250 Message accepted for delivery"


class SmtpSink:
    """``with SmtpSink(folder) as sink:`` then send to ``sink.host:sink.port``."""

    def __init__(self, folder: Path | None = None, host: str = "127.0.0.1",
                 port: int | None = None) -> None:
        self.folder = folder
        self.host = host
        self.port = port or free_port(host)
        self.refuse_all = False
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._raw: list[bytes] = []
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def _store(self, raw: bytes) -> None:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self._lock:
            self._messages.append(msg)
            self._raw.append(raw)
            n = len(self._messages)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{n:04d}.eml").write_bytes(raw)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def raw(self) -> list[bytes]:
        """Each message's bytes exactly as the DATA command carried them."""
        with self._lock:
            return list(self._raw)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
