"""Shared pieces of the CLI: the group, the app loader, output as table or JSON."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from monitor.app import App, open_app

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=(
    "\b\nShell completion, in ~/.bashrc (zsh_source in ~/.zshrc, fish_source for fish):\n"
    '  eval "$(_SOCIAL_MONITOR_COMPLETE=bash_source social-monitor)"'))
@click.version_option(package_name="social-monitor", prog_name="social-monitor")
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Config directory (settings.toml, policy.toml, lexicons/). "
    "Default: $SOCIAL_MONITOR_CONFIG_DIR or the bundled config.",
)
@click.pass_context
def cli(ctx: click.Context, config_dir: Path | None) -> None:
    """social-monitor: helps employees keep their public posts within the rules of conduct."""
    ctx.ensure_object(dict)
    ctx.obj["config_dir"] = config_dir


def get_app(ctx: click.Context) -> App:
    root = ctx.find_root()
    if "app" not in root.obj:
        root.obj["app"] = open_app(root.obj.get("config_dir"))
        root.call_on_close(root.obj["app"].close)
    app: App = root.obj["app"]
    return app


def warn(app: App, log: bool = False) -> None:
    """Say what the configuration got wrong but allowed (the placeholder policy, ...): on
    stderr, or as log lines (``log``) once the service's logging is set up."""
    problems: list[object] = list(app.config.warnings)
    if log and app.config.placeholder_policy and not problems:
        problems.append(f"{app.config.config_dir}: policy.toml: running the BUNDLED "
                        "PLACEHOLDER POLICY (Example Corp, Project Falcon); give the "
                        "company's own with --config DIR or SOCIAL_MONITOR_CONFIG_DIR")
    for problem in problems:
        if log:
            logging.getLogger("monitor.config").warning(
                "configuration warning: %s", problem, extra={"event": "config_warning"})
        else:
            click.echo(f"WARNING: {problem}", err=True)


def progress(items: Sequence[T], label: str) -> Iterator[T]:
    """``items``, with a progress bar on stderr when a person watches (stderr a terminal)."""
    if not sys.stderr.isatty() or len(items) < 2:
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def print_rows(rows: Sequence[Any], columns: Sequence[str], as_json: bool, title: str) -> None:
    """A listing: a table for people, a JSON array for scripts."""
    if as_json:
        print_json(list(rows))
        return
    if not rows:
        click.echo(f"no {title}")
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for row in rows:
        plain = _plain(row)
        table.add_row(*("" if plain.get(c) is None else str(plain.get(c)) for c in columns))
    Console(width=160).print(table)
