"""The fault layer: a loopback HTTP proxy in front of FakeSocialAPI, an SMTP server that can
refuse, reject or hang, and the harness that runs the real daemon and checks the ledger.

Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from monitor.app import open_app
from monitor.people import employees
from monitor.service.smtp_sink import free_port
from monitor.storage.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "monitor"))
from test_daemon_process import COMMAND, FLAGGED, WAIT, wait_for

__all__ = ["COMMAND", "FLAGGED", "WAIT", "wait_for"]

# Flagged texts, each unique per use (a marker is appended).
FLAG_A, FLAG_B = FLAGGED


# -- HTTP fault proxy ---------------------------------------------------------------------------
@dataclass
class Rule:
    """Requests whose ``METHOD path?query`` matches ``pattern`` get this answer instead."""

    pattern: str
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    times: int | None = None  # None: every matching request
    hits: int = 0


class FaultProxy:
    """``with FaultProxy(api.url) as proxy:``; point a network's base URL at ``proxy.url``."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self.rules: list[Rule] = []
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, pattern: str, *, status: int = 200, body: bytes | str | Any = b"",
            headers: dict[str, str] | None = None, hang: bool = False,
            times: int | None = None) -> Rule:
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        rule = Rule(pattern, status, body, hdrs, hang, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def hits(self, pattern: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if re.search(pattern, s))

    def _match(self, line: str) -> Rule | None:
        with self._lock:
            self.seen.append(line)
            for rule in self.rules:
                if re.search(rule.pattern, line) and (rule.times is None or rule.times > 0):
                    rule.hits += 1
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = proxy._match(f"{self.command} {self.path}")
        if rule is not None and rule.hang:
            proxy._released.wait(WAIT * 5)
            self.close_connection = True
            return
        if rule is not None:
            self._reply(rule.status, rule.headers, rule.body)
            return
        if proxy.upstream is None:
            self._reply(404, {"Content-Type": "text/plain"}, b"not found")
            return
        host, port = proxy.upstream.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection", "accept-encoding")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        out = {k: v for k, v in answer.getheaders()
               if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        conn.close()
        self._reply(answer.status, out, data)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# -- SMTP server with faults --------------------------------------------------------------------
class _SmtpHandler:
    def __init__(self, server: FaultSmtp) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.server.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.hang_data:
            self.server.in_data.set()
            await asyncio.sleep(3600)  # never answers; cancelled when the server stops
        self.server._store(envelope.original_content or b"", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class FaultSmtp:
    """A real aiosmtpd server on loopback; stop() refuses connections, start() comes back
    on the same port. ``reject[address] = "550 ..."`` refuses one recipient for good;
    ``hang_data`` takes DATA and never answers."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.reject: dict[str, str] = {}
        self.hang_data = False
        self.in_data = threading.Event()
        self._lock = threading.Lock()
        self._messages: list[tuple[EmailMessage, list[str]]] = []
        self._controller: Controller | None = None

    def _store(self, raw: bytes, rcpts: list[str]) -> None:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self._lock:
            self._messages.append((msg, rcpts))

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [m for m, _ in self._messages]

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m, r in self._messages if address in r]

    def start(self) -> FaultSmtp:
        if self._controller is None:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    self._controller = Controller(_SmtpHandler(self), hostname=self.host,
                                                  port=self.port)
                    self._controller.start()
                    break
                except (OSError, RuntimeError):
                    self._controller = None
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> FaultSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def body_text(msg: EmailMessage) -> str:
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


# -- the daemon and its config folder -----------------------------------------------------------
@dataclass
class Node:
    """One config folder (settings.toml, data_dir) and every process run against it."""

    root: Path
    smtp: FaultSmtp
    database_url: str = ""
    settings: str = ""  # more sections of settings.toml
    daemon: str = ""  # more lines of its [daemon] section
    env: dict[str, str] = field(default_factory=dict)
    http_port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    cli_output: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.config = self.root / "config"
        self.data = self.root / "data"
        self.config.mkdir(parents=True)
        url = f'database_url = "{self.database_url}"' if self.database_url else ""
        (self.config / "settings.toml").write_text(f"""
[storage]
data_dir = "{self.data}"
{url}
[smtp]
host = "{self.smtp.host}"
port = {self.smtp.port}
timeout_seconds = 5
[daemon]
tick_seconds = 1
http_port = {self.http_port}
shutdown_timeout_seconds = 2
{self.daemon}
{self.settings}
""", encoding="utf-8")
        self._engine: sa.engine.Engine | None = None

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data / 'social-monitor.storage.db'}"

    def engine(self) -> sa.engine.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def person(self, email: str, links: Iterable[tuple[str, str]], digest_hour: int = 8) -> None:
        """An opted-in employee with these (network, handle) accounts."""
        app = open_app(self.config)
        try:
            with session_scope(app.engine) as s:
                employees.add_employee(s, email, email.split("@")[0], digest_hour=digest_hour)
                employees.opt_in(s, email, actor="test")
                for network, handle in links:
                    employees.link_account(s, email, network, handle, actor="test")
        finally:
            app.engine.dispose()

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
        env.update(self.env)
        return env

    def start(self) -> subprocess.Popen[str]:
        n = len(self.procs)
        out = self.root / f"run{n}.out"
        err = self.root / f"run{n}.err"
        self.outputs += [out, err]
        with out.open("w") as o, err.open("w") as e:
            proc = subprocess.Popen([COMMAND, "--config", str(self.config), "run"],
                                    env=self._env(), text=True, stdout=o, stderr=e,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
        if proc.poll() is None:
            proc.send_signal(sig)
        return proc.wait(timeout=WAIT)

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=WAIT)

    def cli(self, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([COMMAND, "--config", str(self.config), *args], env=self._env(),
                              text=True, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=timeout, check=False)
        self.cli_output += [done.stdout, done.stderr]
        return done

    def logs(self) -> str:
        texts = [p.read_text(errors="replace") for p in self.outputs if p.exists()]
        return "\n".join(texts + self.cli_output)

    def log_lines(self, run: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines of every run (or of run number ``run``)."""
        lines = []
        for p in self.outputs:
            if run is not None and p.name != f"run{run}.err":
                continue
            if p.suffix == ".err" and p.exists():
                for line in p.read_text(errors="replace").splitlines():
                    try:
                        value = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(value, dict):
                        lines.append(value)
        return lines

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}",
                                        timeout=5) as r:
                return int(r.status), r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, ""

    def healthy(self) -> bool:
        return self.get("/healthz")[0] == 200

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        with self.engine().connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine().connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def account_id(self, handle: str) -> int:
        return int(self.scalar("SELECT id FROM account WHERE handle = :h", h=handle))

    def db_contains(self, needle: str) -> list[str]:
        """Where ``needle`` occurs in any text value of any table."""
        found = []
        meta = sa.MetaData()
        meta.reflect(self.engine())
        with self.engine().connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for col, value in row._mapping.items():
                        if isinstance(value, bytes):
                            value = value.decode(errors="replace")
                        if isinstance(value, str) and needle in value:
                            found.append(f"{table.name}.{col}")
        return found


# -- the ledger --------------------------------------------------------------------------------
@dataclass
class World:
    """Everything one test started; ``check()`` asserts the ledger and the logs."""

    tmp: Path
    nodes: list[Node] = field(default_factory=list)
    smtps: list[FaultSmtp] = field(default_factory=list)
    proxies: list[FaultProxy] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # everything the test posted
    deleted: set[str] = field(default_factory=set)  # native ids really deleted at the source

    def smtp(self) -> FaultSmtp:
        server = FaultSmtp().start()
        self.smtps.append(server)
        return server

    def node(self, name: str, smtp: FaultSmtp, **kw: Any) -> Node:
        node = Node(self.tmp / name, smtp, **kw)
        self.nodes.append(node)
        return node

    def proxy(self, upstream: str | None = None) -> FaultProxy:
        proxy = FaultProxy(upstream).__enter__()
        self.proxies.append(proxy)
        return proxy

    def text(self, text: str) -> str:
        self.texts.append(text)
        return text

    def export(self, path: Path, rows: list[tuple[str, str]]) -> str:
        """A JSONL export with (id, text) rows; the texts are registered."""
        path.write_text("".join(
            json.dumps({"id": i, "text": self.text(t), "created_at": "2026-11-20T08:00:00Z"})
            + "\n" for i, t in rows), encoding="utf-8")
        return str(path)

    def check_logs(self) -> None:
        logs = "\n".join(n.logs() for n in self.nodes)
        for text in self.texts:
            probes = [text] if len(text) <= 200 else [text[:120], text[-120:]]
            for probe in probes:
                assert probe not in logs, f"post text in a log line: {probe[:60]!r}"

    def check(self, node: Node, smtps: Iterable[FaultSmtp] | None = None) -> None:
        """Every post once per account; every alert delivered once or visibly dead/
        unconfirmed; no flag resolved without evidence; no post text in any log."""
        received = Counter(str(m["Message-ID"]) for s in (smtps or self.smtps)
                           for m in s.messages)
        dup_posts = node.rows("SELECT account_id, native_id, COUNT(*) FROM post "
                              "GROUP BY account_id, native_id HAVING COUNT(*) > 1")
        assert not dup_posts, f"posts stored twice: {dup_posts}"
        alerts = node.rows("SELECT id, status, message_id, last_error, channel FROM alert")
        by_mid: dict[str, str] = {}
        for a in alerts:
            if a.channel != "email":
                continue
            if a.message_id:
                by_mid[a.message_id] = a.status
            if a.status == "sent":
                assert received[a.message_id] == 1, (
                    f"alert {a.id} sent, its Message-ID arrived {received[a.message_id]} times")
            elif a.status == "dead":
                assert a.last_error, f"alert {a.id} dead without a reason"
                assert received[a.message_id] == 0 if a.message_id else True
            elif a.status == "unconfirmed":
                assert a.last_error, f"alert {a.id} unconfirmed without a reason"
                assert received[a.message_id] <= 1 if a.message_id else True
        for mid, n in received.items():
            assert n == 1, f"Message-ID {mid} arrived {n} times"
        resolved = node.rows(
            "SELECT f.id, f.resolution, p.native_id, p.deleted_at FROM finding f "
            "JOIN post p ON p.id = f.post_id WHERE f.status = 'resolved'")
        for f in resolved:
            assert f.resolution == "post_deleted" and f.native_id in self.deleted, (
                f"finding {f.id} resolved as {f.resolution} without evidence ({f.native_id})")
            assert f.deleted_at is not None, f"finding {f.id} resolved, its post not deleted"
        self.check_logs()

    def close(self) -> None:
        for node in self.nodes:
            node.kill_all()
            node.dispose()
        for proxy in self.proxies:
            proxy.__exit__()
        for smtp in self.smtps:
            smtp.stop()


def metric_errors(metrics: str, network: str) -> float:
    """Polls of ``network`` counted with an outcome other than ok."""
    total = 0.0
    for line in metrics.splitlines():
        m = re.match(r'social_monitor_polls_total\{(.*)\} ([0-9.e+]+)$', line)
        if m and f'network="{network}"' in m.group(1) and 'outcome="ok"' not in m.group(1):
            total += float(m.group(2))
    return total


def find_key(value: Any, key: str) -> list[Any]:
    """Every value under ``key`` anywhere in a JSON document."""
    out: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                out.append(v)
            out += find_key(v, key)
    elif isinstance(value, list):
        for v in value:
            out += find_key(v, key)
    return out


def until(what: str, check: Callable[[], bool], timeout: float = WAIT) -> None:
    wait_for(what, check, timeout)
