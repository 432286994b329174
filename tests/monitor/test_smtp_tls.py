"""SMTP with STARTTLS or implicit TLS, and AUTH, against a real aiosmtpd server.

The server's certificate is self-signed, made at test time; the transport trusts it only
through ``smtp.ca_file``. A refused login or an untrusted certificate is the operator's to
fix: the alert stays ``failed`` (retried with back-off, never dead) and an error is logged.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlmodel import select

from monitor.app import App
from monitor.clock import utcnow
from monitor.people import employees
from monitor.service.smtp_sink import free_port
from monitor.storage.db import session_scope
from monitor.storage.models import AlertRow

x509 = pytest.importorskip("cryptography.x509", reason="needs the cryptography package")

USER, PASSWORD = "monitor", "correct horse battery staple"


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key, as PEM files."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "social-monitor test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Received:
    tls: bool
    login: str
    raw: bytes


@dataclass
class TlsServer:
    port: int
    ca_file: Path
    mode: str  # "starttls" or "tls" (implicit)
    received: list[Received] = field(default_factory=list)
    refused_logins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, server: TlsServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        login = session.auth_data.login.decode() if session.auth_data else ""
        tls = smtp.transport is not None and smtp.transport.get_extra_info("ssl_object")
        with self.server.lock:
            self.server.received.append(
                Received(bool(tls), login, envelope.original_content or b""))
        return "250 Message accepted for delivery"


def _authenticator(server: TlsServer) -> Callable[..., AuthResult]:
    def check(smtp: SMTP, session: Session, envelope: Envelope, mechanism: str,
              auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        if not ok:
            with server.lock:
                server.refused_logins += 1
        # handled=False: aiosmtpd then answers a failure with its own "535" reply
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


@pytest.fixture(params=["starttls", "tls"])
def tls_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TlsServer]:
    """aiosmtpd requiring TLS (STARTTLS or implicit) and AUTH, with a self-signed cert."""
    cert_file, key_file = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = TlsServer(free_port(), cert_file, request.param)
    if request.param == "starttls":
        controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port,
                                tls_context=context, require_starttls=True,
                                authenticator=_authenticator(server), auth_required=True,
                                auth_require_tls=True)
    else:
        # Implicit TLS: aiosmtpd only counts STARTTLS as "TLS" for auth_require_tls, so the
        # whole-connection TLS is checked per message (Received.tls) instead.
        controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port,
                                ssl_context=context, authenticator=_authenticator(server),
                                auth_require_tls=False)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def _app(make_app: Callable[..., App], server: TlsServer, tmp_path: Path,
         **smtp: object) -> App:
    settings = {"host": "127.0.0.1", "port": server.port, "username": USER,
                "starttls": server.mode == "starttls", "tls": server.mode == "tls",
                "ca_file": str(server.ca_file), **smtp}
    app = make_app(None, smtp=settings, alerts={"max_attempts": 2})
    posts = tmp_path / "alice.jsonl"
    if not posts.exists():
        posts.write_text(json.dumps({"id": "1", "text": "our client Acme Corp signed with us!",
                                     "created_at": "2026-11-21T09:00:00Z"}) + "\n")
        with session_scope(app.engine) as s:
            employees.add_employee(s, "alice@example.com", "Alice", "Europe/Paris")
            employees.opt_in(s, "alice@example.com")
            employees.link_account(s, "alice@example.com", "file", str(posts))
        app.poller().poll_due()
    return app


def _alert(app: App) -> AlertRow:
    with session_scope(app.engine) as s:
        return s.exec(select(AlertRow)).one()


def test_alert_goes_out_over_tls_with_auth(
    make_app: Callable[..., App], tls_server: TlsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP_PASSWORD", PASSWORD)
    app = _app(make_app, tls_server, tmp_path)
    caplog.set_level(logging.DEBUG)
    report = app.outbox().deliver_due()
    assert report.sent == 1, report.errors
    [got] = tls_server.received
    assert (got.tls, got.login) == (True, USER)
    msg = message_from_bytes(got.raw, policy=policy.default)
    assert msg["To"] == "alice@example.com"
    assert PASSWORD not in caplog.text


def test_a_wrong_password_keeps_the_alert_retrying_with_a_clear_error(
    make_app: Callable[..., App], tls_server: TlsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP_PASSWORD", "wrong password")
    app = _app(make_app, tls_server, tmp_path)
    caplog.set_level(logging.ERROR, logger="monitor.outbox")
    # when delivery runs more often than max_attempts (2), each time past the retry delay
    now = utcnow()
    for day in range(4):
        report = app.outbox().deliver_due(now=now + dt.timedelta(days=day))
        assert (report.failed, report.dead) == (1, 0)
    # then the alert is still waiting, not dead, and says what to fix
    alert = _alert(app)
    assert (alert.status, alert.attempts) == ("failed", 4)
    assert alert.last_error == (
        f"SMTP 127.0.0.1:{tls_server.port} refused the login (535): check smtp.username and "
        "SOCIAL_MONITOR_SMTP_PASSWORD")
    assert tls_server.refused_logins >= 4 and tls_server.received == []
    [*_, logged] = [r for r in caplog.records if r.name == "monitor.outbox"]
    assert logged.__dict__["event"] == "alert_transport_misconfigured"
    assert "wrong password" not in caplog.text
    # when the operator fixes the password: it goes out, once
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP_PASSWORD", PASSWORD)
    fixed = _app(make_app, tls_server, tmp_path)
    later = now + dt.timedelta(days=10)
    report = fixed.outbox().deliver_due(now=later)
    assert report.sent == 1 and len(tls_server.received) == 1
    assert _alert(fixed).status == "sent"


def test_an_untrusted_certificate_is_an_operator_error_not_a_dead_alert(
    make_app: Callable[..., App], tls_server: TlsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP_PASSWORD", PASSWORD)
    app = _app(make_app, tls_server, tmp_path, ca_file="")  # system CAs: self-signed refused
    now = utcnow()
    for day in range(3):
        report = app.outbox().deliver_due(now=now + dt.timedelta(days=day))
        assert (report.failed, report.dead) == (1, 0)
    alert = _alert(app)
    assert alert.status == "failed"
    assert "TLS certificate not trusted" in alert.last_error
    assert "set smtp.ca_file" in alert.last_error
    assert tls_server.received == []
