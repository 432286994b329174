"""The handler's shared part: replies, query parameters, credentials and programmed failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing.fake_api.population import FakeSocialAPI


class _Reply(Exception):
    """Raised inside a route to send a response at once."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class RouteBase(BaseHTTPRequestHandler):
    """What every network's routes share: the reply, the query, credentials, failures."""

    # Set per request by the dispatcher (server.Handler) and do_POST.
    route: str
    query: dict[str, list[str]]
    body: bytes

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, as with real APIs
    server_version = "FakeSocialAPI/1.0"
    timeout = 30  # an idle keep-alive connection does not hold a thread forever
    # One write per response and no Nagle delay: small answers otherwise wait ~40 ms on
    # the client's delayed ACK, which would dominate a 10,000-account benchmark.
    wbufsize = -1
    disable_nagle_algorithm = True

    @property
    def api(self) -> FakeSocialAPI:
        return self.server.api  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests stay quiet; request counts are in FakeSocialAPI.requests_for

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self._dispatch()

    def _dispatch(self) -> None:
        raise NotImplementedError  # server.Handler routes by path

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, bytes | str):
            data = body.encode() if isinstance(body, str) else body
            ctype = headers.pop("Content-Type", "text/plain; charset=utf-8")
        else:
            data = json.dumps(body).encode()
            ctype = "application/json; charset=utf-8"
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(0 if status == 304 else len(data)))
        if self.close_connection:
            # Say so (as real servers do) or the client reuses a socket we are closing.
            self.send_header("Connection", "close")
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def q(self, key: str, default: str = "") -> str:
        return self.query.get(key, [default])[0]

    def _int(self, key: str, default: int, cap: int) -> int:
        try:
            return max(1, min(cap, int(self.q(key, str(default)))))
        except ValueError:
            raise _Reply(400, {"error": f"bad {key}"}) from None

    def _bearer(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth.split(" ", 1)[1].strip() if " " in auth else ""

    def _gate(self, network: str, handle: str | None, error: dict[str, Any]) -> None:
        """Count the request, then apply a programmed failure if one is due."""
        self.api._count(network, handle)
        failure = self.api._take_failure(network, handle and handle.lower(), self.route)
        if failure is None:
            return
        if failure.body is not None:
            raw = {"Content-Type": failure.content_type}
            if network == "x" and failure.status == 429:
                # X sends its 15-minute window with every answer; with a usage cap
                # (``x.USAGE_CAPPED``) that window still has requests left.
                reset = failure.reset_at or datetime.now(UTC) + timedelta(minutes=15)
                raw.update({
                    "x-rate-limit-limit": "1500",
                    "x-rate-limit-remaining": "1499",
                    "x-rate-limit-reset": str(int(reset.timestamp())),
                })
            raise _Reply(failure.status, failure.body, raw)
        headers: dict[str, str] = {}
        if failure.status == 429:
            reset = failure.reset_at or datetime.now(UTC) + timedelta(minutes=15)
            epoch = str(int(reset.timestamp()))
            seconds = str(max(1, int((reset - datetime.now(UTC)).total_seconds())))
            headers = {
                "x": {
                    "x-rate-limit-limit": "1500",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": epoch,
                },
                "reddit": {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "1000",
                    "x-ratelimit-reset": seconds,
                },
                "mastodon": {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
                "bluesky": {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": epoch,
                    "ratelimit-policy": "3000;w=300",
                },
                "rss": {},
            }[network]
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        body = dict(error, status=failure.status) if network == "x" else error
        raise _Reply(failure.status, body if network != "rss" else "failure", headers)

