"""CLI habits (issue 18 item 9): --json where scripts need it, confirmation, explanations,
shell completion, logs fit for their reader, evaluate's mistakes listed."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run

from monitor.service import logs


def test_employee_commands_speak_json(capsys: pytest.CaptureFixture[str], data_env: Path
                                      ) -> None:
    code, out, _ = run(capsys, "employees", "add", "Ana@Example.com", "--name", "Ana",
                       "--timezone", "Europe/Madrid", "--json")
    assert code == 0
    added = json.loads(out)
    assert (added["email"], added["name"], added["timezone"], added["opted_in"]) == (
        "ana@example.com", "Ana", "Europe/Madrid", False)
    code, out, _ = run(capsys, "employees", "opt-in", "ana@example.com", "--json")
    assert code == 0 and json.loads(out)["opted_in"] is True
    code, out, _ = run(capsys, "employees", "opt-out", "ana@example.com", "--yes", "--json")
    assert code == 0
    assert json.loads(out) == {"email": "ana@example.com", "opted_out": True,
                               "erased": json.loads(out)["erased"]}
    assert json.loads(out)["erased"]["accounts"] == 0


def test_opt_out_asks_and_a_no_erases_nothing(capsys: pytest.CaptureFixture[str],
                                              data_env: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "employees", "add", "ana@example.com", "--opt-in")[0] == 0

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    code, _, err = run(capsys, "employees", "opt-out", "ana@example.com")
    assert code == 1 and "cannot be undone" in err and "not confirmed: nothing erased" in err
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    code, out, _ = run(capsys, "employees", "opt-out", "ana@example.com")
    assert code == 0 and "opted out" in out
    code, out, _ = run(capsys, "employees", "list", "--json")
    assert json.loads(out) == []


def test_digest_send_json(capsys: pytest.CaptureFixture[str], data_env: Path) -> None:
    assert run(capsys, "employees", "add", "ana@example.com", "--opt-in")[0] == 0
    code, out, _ = run(capsys, "digest", "send", "--dry-run", "--json")
    assert code == 0
    assert json.loads(out) == {"dry_run": True,
                               "employees": [{"email": "ana@example.com", "open": 0,
                                              "due": False}]}
    code, out, _ = run(capsys, "digest", "send", "--json")
    assert code == 0
    assert json.loads(out) == {"dry_run": False, "queued": 0, "sent": 0, "failed": 0,
                               "dead": 0}


def test_poll_without_once_explains(capsys: pytest.CaptureFixture[str], data_env: Path) -> None:
    code, _, err = run(capsys, "poll")
    assert code == 1
    assert "Missing option" not in err
    assert "add --once" in err and "social-monitor run" in err


def test_poll_failure_names_the_account(capsys: pytest.CaptureFixture[str], data_env: Path
                                        ) -> None:
    (data_env / "posts.jsonl").write_text(
        '{"id": "1", "text": "hello", "created_at": "2026-11-20T08:00:00Z"}\n')
    assert run(capsys, "employees", "add", "ana@example.com", "--opt-in")[0] == 0
    assert run(capsys, "accounts", "link", "ana@example.com", "x", "TwitterDev")[0] == 0
    code, _, err = run(capsys, "poll", "--once")
    assert code == 0
    [line] = [x for x in err.splitlines() if x.startswith("account ")]
    assert "x TwitterDev (ana@example.com" in line and "next try" in line
    assert "auth_failed" in line and "SOCIAL_MONITOR_X_BEARER_TOKEN" in line


def test_evaluate_show_errors_lists_false_positives_and_negatives(
    capsys: pytest.CaptureFixture[str], data_env: Path
) -> None:
    data = data_env / "labelled.tsv"
    data.write_text("label\ttext\n1\tmeeting Acme Corp tomorrow\n0\tnice day\n\n"
                    "1\tjust a normal post\n0\t#ProjectFalcon rocks\n")
    code, out, _ = run(capsys, "evaluate", str(data), "--category", "confidential",
                       "--show-errors")
    assert code == 0
    assert "false positives (label 0, flagged): 1" in out
    assert "line 6: label 0, flagged confidential: '#ProjectFalcon rocks'" in out
    assert "false negatives (label 1, not flagged): 1" in out
    assert "line 5: label 1, flagged nothing: 'just a normal post'" in out
    code, out, _ = run(capsys, "evaluate", str(data), "--category", "confidential",
                       "--show-errors", "--json")
    report = json.loads(out)
    assert (report["fp"], report["fn"]) == (1, 1)
    assert [(e["line"], e["kind"], e["label"], e["flagged"]) for e in report["errors"]] == [
        (5, "false_negative", 1, []), (6, "false_positive", 0, ["confidential"])]


def test_version_and_documented_completion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("social-monitor, version ")
    code, out, _ = run(capsys, "--help")
    assert "_SOCIAL_MONITOR_COMPLETE=bash_source social-monitor" in " ".join(out.split())
    script = Path(sys.prefix) / "bin" / "social-monitor"
    if not script.exists():
        pytest.skip("console script not installed")
    env = {**os.environ, "_SOCIAL_MONITOR_COMPLETE": "bash_source"}
    result = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "complete -o nosort -F" in result.stdout


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_logs_are_text_on_a_terminal_and_json_elsewhere() -> None:
    pipe, tty = io.StringIO(), _Tty()
    logs.configure("INFO", "auto", stream=pipe)
    logging.getLogger("monitor.test").info("hello", extra={"account_id": 3})
    logs.configure("INFO", "auto", stream=tty)
    logging.getLogger("monitor.test").info("hello", extra={"account_id": 3})
    assert json.loads(pipe.getvalue())["account_id"] == 3
    assert tty.getvalue().rstrip().endswith("INFO monitor.test hello account_id=3")


def test_json_logs_carry_no_terminal_colours() -> None:
    stream = io.StringIO()
    logs.configure("INFO", "json", stream=stream)
    # what uvicorn logs: a coloured copy in color_message, colours in arguments
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on %s", "\x1b[1mhttp://127.0.0.1:8080\x1b[0m",
        extra={"color_message": "Uvicorn running on \x1b[1m%s\x1b[0m"})
    line = stream.getvalue()
    assert "\x1b" not in line and "\\u001b" not in line
    entry = json.loads(line)
    assert entry["msg"] == "Uvicorn running on http://127.0.0.1:8080"
    assert "color_message" not in entry


def test_evaluate_shows_progress_only_to_a_terminal(capsys: pytest.CaptureFixture[str],
                                                    data_env: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data = data_env / "labelled.tsv"
    data.write_text("label\ttext\n1\tmeeting Acme Corp tomorrow\n0\tnice day\n")
    code, out, err = run(capsys, "evaluate", str(data), "--category", "leak", "--json")
    assert code == 0 and "classifying" not in err
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    code, out, _ = run(capsys, "evaluate", str(data), "--category", "leak", "--json")
    assert code == 0 and json.loads(out)["n"] == 2  # stdout stays clean JSON
    assert "classifying" in tty.getvalue()
