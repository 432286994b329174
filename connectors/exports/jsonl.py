"""``*.jsonl``: one JSON object a line with id, text, created_at (and url, edited_at)."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.base import (
    FetchedPost,
)
from connectors.exports.common import (
    ExportRead,
    _BadLine,
    _checked_id,
    _parse_time,
)


def _read_jsonl(path: Path, name: str, out: ExportRead) -> None:
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{name} line {lineno}"
            out.keep(where, lambda: _jsonl_post(line, where))  # noqa: B023 (called at once)


def _jsonl_post(line: str, where: str) -> FetchedPost:
    try:
        row = json.loads(line)
    except RecursionError as exc:
        raise _BadLine(f"{where}: nested too deeply") from exc
    except ValueError as exc:
        raise _BadLine(f"{where}: not valid JSON") from exc
    if not isinstance(row, dict):
        raise _BadLine(f"{where}: expected a JSON object")
    if any(k not in row for k in ("id", "text", "created_at")):
        raise _BadLine(f"{where}: missing field(s)")
    edited = row.get("edited_at")
    return FetchedPost(
        native_id=_checked_id(row["id"], where),
        text=str(row["text"]),
        created_at=_parse_time(str(row["created_at"]), where),
        url=str(row.get("url") or ""),
        edited_at=_parse_time(str(edited), where) if edited else None,
    )


