"""Structured logs for the service: one JSON object a line, standard library only.

What goes in a line: time, level, logger, message, and the ``extra={...}`` fields the code
passes (ids, counts, outcomes). Post text never goes into a log call in the first place;
as a second line of defence every configured secret value is masked wherever it appears
(message, fields, traceback), so a token echoed in a library's error message does not leak.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from monitor.settings import Secrets

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName"}
MASK = "***"


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

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return self._clean(json.dumps(entry, ensure_ascii=False))


class TextFormatter(JsonFormatter):
    """The same fields as plain ``key=value`` text, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{k}={v}" for k, v in record.__dict__.items()
            if k not in _STANDARD and not k.startswith("_")
        )
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        if fields:
            line += " " + fields
        if record.exc_info and record.exc_info[0] is not None:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info))
        return self._clean(line)


def configure(level: str, fmt: str = "json", secrets: Secrets | None = None,
              stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger to ``stream`` (stderr) in ``fmt``; returns the handler."""
    mask = secret_values(secrets) if secrets is not None else []
    handler = logging.StreamHandler(stream or sys.stderr)
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
