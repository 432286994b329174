"""deploy/ and docs/deploy.md name only commands that exist, and the image is set up right.

The units' ExecStart lines and the Containerfile's ENTRYPOINT/CMD are run with ``--help``
through the installed console script; every `social-monitor ...` named in the units' and
the Containerfile's comments and in the guide is looked up in the command tree.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from monitor.cli import cli
from monitor.config import load_config, unknown_variables

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
UNITS = sorted(DEPLOY.glob("*.service"))


def _command() -> str:
    here = Path(sys.prefix) / "bin" / "social-monitor"
    found = str(here) if here.exists() else shutil.which("social-monitor")
    if found is None:
        pytest.skip("the social-monitor console script is not installed")
    return found


def _subcommand(argv: list[str]) -> list[str]:
    """The command words of an argument list: up to the first option or placeholder."""
    words = []
    for arg in argv:
        if arg.startswith("-") or "%" in arg:
            break
        words.append(arg)
    return words


def _exec_lines() -> list[tuple[str, list[str]]]:
    found = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            key, _, value = line.partition("=")
            if key in ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload"):
                argv = shlex.split(value.lstrip("-+!@:"))
                assert argv[0].endswith("/social-monitor"), (unit.name, line)
                found.append((f"{unit.name}: {key}", _subcommand(argv[1:])))
    container = (DEPLOY / "Containerfile").read_text()
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", container, re.MULTILINE)
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", container, re.MULTILINE)
    assert entry and cmd
    assert eval(entry.group(1)) == ["social-monitor"]  # a JSON array of strings
    found.append(("Containerfile: CMD", _subcommand(eval(cmd.group(1)))))
    return found


EXEC = _exec_lines()


def test_every_unit_sets_working_directory_and_data_folder() -> None:
    assert {u.name for u in UNITS} >= {"social-monitor.service",
                                       "social-monitor-review.service",
                                       "social-monitor-worker@.service"}
    for unit in UNITS:
        text = unit.read_text()
        assert "WorkingDirectory=/var/lib/social-monitor" in text, unit.name
        assert "Environment=SOCIAL_MONITOR_STORAGE__DATA_DIR=/var/lib/social-monitor" in text
        assert "Environment=SOCIAL_MONITOR_CONFIG_DIR=/etc/social-monitor" in text
        assert "EnvironmentFile=/etc/social-monitor/env" in text


@pytest.mark.parametrize(("where", "words"), EXEC, ids=[w for w, _ in EXEC])
def test_exec_commands_exist(where: str, words: list[str]) -> None:
    assert words, where
    result = subprocess.run([_command(), *words, "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, (where, result.stderr)
    assert result.stdout.startswith("Usage: social-monitor " + " ".join(words))


def _mentions() -> list[tuple[str, list[str]]]:
    """`social-monitor WORDS` in backticks, `.../bin/social-monitor WORDS` and the guide's
    `sm WORDS` helper lines: (where, words)."""
    out = []
    word = r"((?: [a-z][a-z-]*)+)"
    for path in [*UNITS, DEPLOY / "Containerfile", DEPLOY / "README.md", GUIDE]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.name}:{n}"
            for m in re.finditer(r"`social-monitor" + word, line):
                out.append((where, m.group(1).split()))
            for m in re.finditer(r"bin/social-monitor" + word, line):
                out.append((where, m.group(1).split()))
            m = re.match(r"^sm" + word, line)
            if m and path == GUIDE:
                out.append((where, m.group(1).split()))
    return out


def test_every_command_named_in_deploy_and_the_guide_exists() -> None:
    mentions = _mentions()
    assert len(mentions) > 10
    wrong = []
    for where, words in mentions:
        cmd: click.Command = cli
        for w in words:
            if not isinstance(cmd, click.Group):
                break  # a leaf command: the rest are its arguments
            sub = cmd.commands.get(w)
            if sub is None:
                wrong.append(f"{where}: social-monitor {' '.join(words)}")
                break
            cmd = sub
        else:
            if isinstance(cmd, click.Group) and not cmd.invoke_without_command:
                wrong.append(f"{where}: social-monitor {' '.join(words)} (a group)")
    assert wrong == []


def test_the_image_serves_the_review_page_on_all_addresses() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    env = dict(re.findall(r"(SOCIAL_MONITOR_[A-Z_]+)=(\S+)", text))
    assert env["SOCIAL_MONITOR_REVIEW__HOST"] == "0.0.0.0"
    assert env["SOCIAL_MONITOR_DAEMON__HTTP_HOST"] == "0.0.0.0"
    assert env["SOCIAL_MONITOR_REVIEW__SERVE_WITH_DAEMON"] == "true"
    [exposed] = re.findall(r"^EXPOSE (.+)$", text, re.MULTILINE)
    assert {env["SOCIAL_MONITOR_REVIEW__PORT"], "9464"} <= set(exposed.split())
    assert "social-monitor web" not in text


def test_the_images_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    text = (DEPLOY / "Containerfile").read_text()
    env = dict(re.findall(r"(SOCIAL_MONITOR_[A-Z_]+)=(\S+)", text))
    assert unknown_variables(env) == []
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATA_DIR", str(tmp_path))
    settings = load_config().settings
    assert (settings.review.host, settings.review.serve_with_daemon) == ("0.0.0.0", True)


def test_the_image_copies_what_the_build_reads() -> None:
    # pyproject.toml names hatch_build.py as a build hook: without it `pip install .` fails,
    # and without a compiler the wording model's kernel is not built (slower, not broken).
    text = (DEPLOY / "Containerfile").read_text()
    copied = {word for line in text.splitlines() if line.startswith("COPY ")
              for word in line.split()[1:-1]}
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    hook = re.search(r'\[tool\.hatch\.build\.targets\.wheel\.hooks\.custom\]\npath = "([^"]+)"',
                     pyproject)
    assert hook is not None
    assert {"pyproject.toml", "README.md", hook.group(1), "classifiers", "config"} <= copied
    assert re.search(r"apt-get install [^\n]*\bgcc\b", text)

