"""Running the CLI in-process as a user would: the real entry point, its exit code, its output."""

from __future__ import annotations

import pytest

from monitor.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``social-monitor ARGS`` through ``main``: (exit code, stdout, stderr)."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
