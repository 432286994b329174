"""The CLI: contracts other parts depend on, one-line errors, help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_support import run

from monitor.cli import cli


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_all_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("command", _all_commands(cli), ids=" ".join)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
                                ) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "Usage:" in out


def test_check_json_contract_for_a_secret_client(capsys: pytest.CaptureFixture[str],
                                                 data_env: Path) -> None:
    code, out, _ = run(capsys, "check", "--json", "our client Acme Corp signed with us")
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == "alert"
    [finding] = [f for f in result["findings"] if f["category"] == "confidential"]
    assert {"detector", "category", "rule", "start", "end", "score", "explanation"} <= set(finding)
    assert (finding["start"], finding["end"], finding["rule"]) == (11, 20, "4")


def test_check_reads_stdin_and_says_ok(capsys: pytest.CaptureFixture[str], data_env: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Lovely weather today"))
    code, out, _ = run(capsys, "check", "--json", "-")
    assert code == 0
    assert json.loads(out)["verdict"] == "ok"


def test_check_human_output_shows_span_and_rule(capsys: pytest.CaptureFixture[str],
                                                data_env: Path) -> None:
    code, out, _ = run(capsys, "check", "our client Acme Corp signed with us")
    assert code == 0
    assert "verdict: alert" in out
    assert "confidential (rule 4" in out and "at 11-20 'Acme Corp'" in out


def test_evaluate_json_keys_and_counts(capsys: pytest.CaptureFixture[str], data_env: Path
                                       ) -> None:
    data = data_env / "labelled.tsv"
    data.write_text(
        "label\ttext\n1\tmeeting Acme Corp tomorrow\n0\tnice day\n1\tjust a normal post\n"
        "0\t#ProjectFalcon rocks\n"
    )
    code, out, _ = run(capsys, "evaluate", str(data), "--category", "confidential", "--json")
    assert code == 0
    scores = json.loads(out)
    assert list(scores) == ["n", "precision", "recall", "f1", "macro_f1", "tp", "fp", "fn", "tn",
                            "texts_per_second"]
    assert (scores["tp"], scores["fp"], scores["fn"], scores["tn"]) == (1, 1, 1, 1)
    assert scores["precision"] == 0.5 and scores["macro_f1"] == 0.5


def test_evaluate_reads_jsonl(capsys: pytest.CaptureFixture[str], data_env: Path) -> None:
    data = data_env / "labelled.jsonl"
    data.write_text('{"text": "Acme Corp deal", "label": 1}\n{"text": "hi", "label": 0}\n')
    code, out, _ = run(capsys, "evaluate", str(data), "--category", "leak", "--json")
    assert code == 0
    assert json.loads(out)["f1"] == 1.0


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (("evaluate", "missing.tsv", "--category", "leak"), None, "file not found"),
        (("evaluate", "bad.tsv", "--category", "leak"), "text\tlabel\n", "expected a TSV"),
        (("evaluate", "bad.tsv", "--category", "leak"), "label\ttext\nyes\thi\n",
         "bad.tsv line 2: label must be 0 or 1"),
        (("evaluate", "bad.jsonl", "--category", "leak"), '{"text": 1}\n',
         "bad.jsonl line 1: expected an object with text and label"),
        (("employees", "add", "nope"), None, "email: 'nope' is not an e-mail address"),
        (("employees", "opt-out", "ghost@example.com"), None, "no employee"),
        (("accounts", "link", "ghost@example.com", "myspace", "h"), None,
         "unknown network 'myspace'; known networks:"),
        (("alerts", "retry"), None, "give an alert ID or --all-dead"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys: pytest.CaptureFixture[str], data_env: Path,
                                           args: tuple[str, ...], content: str | None,
                                           message: str) -> None:
    if content is not None:
        (data_env / args[1]).write_text(content)
    code, _, err = run(capsys, *args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_config_check_lists_problems_with_file_and_key(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[smtp]\nhots = 'x'\n")
    code, _, err = run(capsys, "config", "check", "--config", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'settings.toml'}: smtp.hots: unknown key; did you mean 'host'?" in err


def test_config_check_ok_on_the_bundled_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "check")
    assert code == 0 and "config OK" in out


def test_employee_lifecycle_through_the_cli(capsys: pytest.CaptureFixture[str], data_env: Path
                                            ) -> None:
    assert run(capsys, "employees", "add", "a@example.com", "--name", "A",
               "--timezone", "Europe/Paris")[0] == 0
    assert run(capsys, "employees", "opt-in", "a@example.com")[0] == 0
    (data_env / "posts.jsonl").write_text("")
    assert run(capsys, "accounts", "link", "a@example.com", "file", "posts.jsonl")[0] == 0
    code, out, _ = run(capsys, "accounts", "list", "--json")
    assert code == 0 and json.loads(out)[0]["handle"] == str(data_env / "posts.jsonl")
    code, out, _ = run(capsys, "employees", "list", "--json")
    assert json.loads(out)[0]["opted_in"] is True
    code, out, _ = run(capsys, "employees", "opt-out", "a@example.com", "--yes")
    assert code == 0 and "erased 1 accounts" in out
    code, out, _ = run(capsys, "accounts", "list", "--json")
    assert json.loads(out) == []


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    # A real subprocess: the README's run command, on a fresh folder, no network.
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "immediate alert(s)" in result.stdout
    emls = list((tmp_path / "demo" / "mail").glob("*.eml"))
    assert len(emls) >= 2
    subjects = result.stdout
    assert "in your exported post" in subjects
    assert "need" in subjects and "your review" in subjects


@pytest.mark.parametrize(
    ("env", "args", "code", "message"),
    [
        ({"SOCIAL_MONITOR_STORAGE__DATABASE_URL": "nonsense://x"}, ("status",), 2,
         "storage.database_url: unknown database dialect 'nonsense'"),
        ({"SOCIAL_MONITOR_STORAGE__DATABASE_URL": "mysql://u:hunter2@db/m"}, ("status",), 2,
         "storage.database_url: database 'mysql' is not supported"),
        ({}, ("digest", "preview", "a@example.com", "--out", "/proc/nope"), 1,
         "--out: cannot create the folder /proc/nope"),
    ],
)
def test_user_mistakes_in_settings_and_paths_are_one_line(
    capsys: pytest.CaptureFixture[str], data_env: Path, monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str], args: tuple[str, ...], code: int, message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    got, _, err = run(capsys, *args)
    assert got == code
    assert message in err
    assert "Traceback" not in err and "hunter2" not in err
    assert len(err.strip().splitlines()) == 1


def test_config_check_masks_the_database_password(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATABASE_URL",
                       "postgresql+psycopg://monitor:hunter2@db.example/monitor")
    code, out, _ = run(capsys, "config", "check")
    assert code == 0
    assert "database: postgresql+psycopg://monitor:***@db.example/monitor" in out
    code, out, _ = run(capsys, "config", "check", "--json")
    assert code == 0 and "hunter2" not in out
    assert json.loads(out)["database"] == "postgresql+psycopg://monitor:***@db.example/monitor"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SOCIAL_MONITOR_STORAGE__DATABASE_URL": "nonsense://x"}, "unknown database dialect"),
        ({"SOCIAL_MONITOR_REVIEW__BASE_URL": "not-a-url"}, "review.base_url: expected"),
        ({"SOCIAL_MONITOR_CHANNEL_URLS": "bogus"}, "URL 1 of 1 is not an apprise URL"),
        ({"SOCIAL_MONITOR_POLLNG__WORKERS": "3"},
         "did you mean SOCIAL_MONITOR_POLLING__WORKERS?"),
    ],
)
def test_config_check_reports_what_used_to_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = run(capsys, "config", "check")
    assert code == 2 and "config OK" not in out
    assert message in err
    code, out, _ = run(capsys, "config", "check", "--json")
    assert code == 2
    report = json.loads(out)
    assert report["ok"] is False
    assert any(message in f"{p['source']}: {p['key']}: {p['message']}"
               for p in report["problems"])


def test_config_check_on_an_empty_folder_fails(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, _, err = run(capsys, "config", "check", "--config", str(tmp_path))
    assert code == 2 and "empty config folder" in err


def test_config_check_warns_loudly_of_the_placeholder_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "settings.toml").write_text("[smtp]\nport = 2525\n")
    code, out, err = run(capsys, "config", "check", "--config", str(tmp_path))
    assert code == 0 and "config OK" in out
    assert "WARNING:" in err and "BUNDLED PLACEHOLDER POLICY" in err
    code, out, _ = run(capsys, "config", "check", "--config", str(tmp_path), "--json")
    report = json.loads(out)
    assert report["ok"] is True and report["policy"]["placeholder"] is True
    assert report["warnings"][0]["key"] == "policy.toml"
