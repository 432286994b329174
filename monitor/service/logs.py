"""Structured logs for the service: one JSON object a line, standard library only.

What goes in a line: time, level, logger, message, and the ``extra={...}`` fields the code
passes (ids, counts, outcomes). Post text never goes into a log call in the first place;
as a second line of defence every configured secret value is masked wherever it appears
(message, fields, traceback), so a token echoed in a library's error message does not leak,
and exception messages are redacted in tracebacks (:func:`redact_error`): a database error
quotes the values it was given (SQL parameters, PostgreSQL's ``DETAIL: Key (...)=(...)``),
which can be post text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from monitor.errors import redact_error
from monitor.settings import Secrets

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName"}
MASK = "***"
# Terminal escape sequences (colours, cursor moves): never inside a JSON line.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# ``extra`` fields that only repeat the message for a terminal (uvicorn's coloured copy).
_DROPPED = frozenset({"color_message"})


def redacted_traceback(exc: BaseException) -> str:
    """A traceback (frames, causes) whose exception messages pass :func:`redact_error`."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{redact_error(current)}\n")
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    return "\nThe above was caused by:\n\n".join(reversed(parts))


def secret_values(secrets: Secrets) -> list[str]:
    """The plain values of every configured secret (to mask them in logs)."""
    out = []
    for name in type(secrets).model_fields:
        value = getattr(secrets, name)
        if value is not None and value.get_secret_value():
            out.append(value.get_secret_value())
    return out


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line; secrets in ``mask`` are replaced by ``***``."""

    def __init__(self, mask: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self._mask = sorted({m for m in mask if m}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._mask:
            text = text.replace(secret, MASK)
        return text

    @staticmethod
    def _plain(value: str) -> str:
        """``value`` without terminal colour codes (uvicorn's and others' messages carry
        them); JSON is read by machines."""
        return _ANSI.sub("", value)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": self._plain(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in _DROPPED:
                entry[key] = (value if isinstance(value, int | float | bool | None)
                              else self._plain(str(value)))
        if record.exc_info and record.exc_info[1] is not None:
            entry["exc_type"] = type(record.exc_info[1]).__name__
            entry["traceback"] = redacted_traceback(record.exc_info[1])
        return self._clean(json.dumps(entry, ensure_ascii=False))


class TextFormatter(JsonFormatter):
    """The same fields as plain ``key=value`` text, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{k}={v}" for k, v in record.__dict__.items()
            if k not in _STANDARD and not k.startswith("_") and k not in _DROPPED
        )
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        if fields:
            line += " " + fields
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + redacted_traceback(record.exc_info[1])
        return self._clean(line)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def configure(level: str, fmt: str = "json", secrets: Secrets | None = None,
              stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger to ``stream`` (stderr) in ``fmt``; returns the handler.

    ``fmt`` is ``json``, ``text``, or ``auto``: text for a person at a terminal, JSON for
    anything else (systemd's journal, a container's log, a file, a pipe).
    """
    mask = secret_values(secrets) if secrets is not None else []
    out = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if _is_terminal(out) else "json"
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(mask) if fmt == "json" else TextFormatter(mask))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter at INFO (apscheduler runs, http requests) would drown ours.
    for noisy in ("apscheduler", "httpx", "urllib3", "mail.log", "procrastinate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
