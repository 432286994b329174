"""Exit codes a script can trust: the installed console script, run as a subprocess.

Each failing case is a user or operator mistake (or a problem found, like `accounts verify`
with a bad account): it must exit non-zero with one line on stderr and no traceback, and
must not have changed anything it refused. Runs ``social-monitor`` from the environment the
tests run in (``sys.prefix``'s bin, or ``PATH``), never ``python -m``, so the entry point
itself (``monitor.cli:main`` with ``standalone_mode=False``) is what is tested.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main


def _command() -> str:
    here = Path(sys.prefix) / "bin" / "social-monitor"
    found = str(here) if here.exists() else shutil.which("social-monitor")
    if found is None:
        pytest.skip("the social-monitor console script is not installed")
    return found


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with one opted-in employee and an X account (no token set)."""
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts.jsonl").write_text(
        '{"id": "1", "text": "hello", "created_at": "2026-11-20T08:00:00Z"}\n')
    for args in (["employees", "add", "ana@example.com", "--opt-in"],
                 ["accounts", "link", "ana@example.com", "x", "TwitterDev"]):
        try:
            main(args)
        except SystemExit as exc:
            assert not exc.code
    return tmp_path


def _run(folder: Path, *args: str, env: dict[str, str] | None = None,
         stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    base["SOCIAL_MONITOR_STORAGE__DATA_DIR"] = str(folder / "data")
    base.update(env or {})
    return subprocess.run([_command(), *args], env=base, cwd=folder, input=stdin,
                          capture_output=True, text=True, timeout=60)


FAILING = [
    # (args, extra environment, exit code, what stderr says)
    (("status",), {"SOCIAL_MONITOR_STORAGE__DATABASE_URL": "nonsense://x"}, 2,
     "storage.database_url: unknown database dialect 'nonsense'"),
    (("status",), {"SOCIAL_MONITOR_STORAGE__DATABASE_URL": "mysql://u:hunter2@db/m"}, 2,
     "database 'mysql' is not supported"),
    (("config", "check"), {"SOCIAL_MONITOR_POLLNG__WORKERS": "3"}, 2,
     "did you mean SOCIAL_MONITOR_POLLING__WORKERS?"),
    (("digest", "preview", "ana@example.com", "--out", "/proc/nope"), {}, 1,
     "--out: cannot create the folder /proc/nope"),
    (("accounts", "verify"), {}, 1, ""),  # PROBLEM lines go to stdout; exit 1 says it
    (("accounts", "link", "ana@example.com", "x", "two words"), {}, 1,
     "is not an X user name"),
    (("accounts", "link", "ana@example.com", "file", "missing.jsonl"), {}, 1, "not found"),
    (("employees", "opt-out", "ana@example.com"), {}, 1, "pass --yes to confirm"),
    (("employees", "opt-out", "ghost@example.com", "--yes"), {}, 1, "no employee"),
    (("poll",), {}, 1, "add --once"),
    (("evaluate", "missing.tsv", "--category", "leak"), {}, 1, "file not found"),
    (("no-such-command",), {}, 2, "No such command"),
]


@pytest.mark.parametrize(("args", "env", "code", "message"), FAILING,
                         ids=[" ".join(c[0]) + (" " + " ".join(c[1]) if c[1] else "")
                              for c in FAILING])
def test_failures_exit_non_zero_with_one_line(folder: Path, args: tuple[str, ...],
                                              env: dict[str, str], code: int,
                                              message: str) -> None:
    result = _run(folder, *args, env=env)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
    if message:
        assert message in result.stderr
        if code != 2 or "config" in args or "status" in args:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_verify_exits_1_after_problem_lines_and_says_so_in_json(folder: Path) -> None:
    result = _run(folder, "accounts", "verify")
    assert result.returncode == 1
    assert "PROBLEM x TwitterDev: AuthFailed" in result.stdout
    result = _run(folder, "accounts", "verify", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["problems"] == 1
    [acc] = report["accounts"]
    assert (acc["network"], acc["handle"], acc["ok"], acc["error"]) == (
        "x", "TwitterDev", False, "AuthFailed")


def test_refused_opt_out_erased_nothing(folder: Path) -> None:
    assert _run(folder, "employees", "opt-out", "ana@example.com").returncode == 1
    listed = _run(folder, "employees", "list", "--json")
    assert listed.returncode == 0
    assert [e["email"] for e in json.loads(listed.stdout)] == ["ana@example.com"]


def test_successes_exit_0(folder: Path) -> None:
    version = _run(folder, "--version")
    assert version.returncode == 0 and version.stdout.startswith("social-monitor, version ")
    out = _run(folder, "employees", "opt-out", "ana@example.com", "--yes", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["erased"]["accounts"] == 1
