"""The `social-monitor` command line: a group of thin commands over the service functions."""

from __future__ import annotations

import sys

import click

from monitor.cli import admin, alerts, classify_cmds, daemon, demo_cmd, people, status_cmd, web_cmd
from monitor.cli.common import cli
from monitor.errors import ConfigError, MonitorError
from monitor.service.logs import redact_error

__all__ = ["cli", "main"]

for module in (admin, people, classify_cmds, alerts, daemon, demo_cmd, status_cmd, web_cmd):
    module.register(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes print one line (or one per config problem), never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="social-monitor", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"config error: {problem}", err=True)
        sys.exit(2)
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        # A path the user gave that cannot be read or written (or a server refusing us).
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or redact_error(exc)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        # A bug or an answer nobody planned for: one line, and never the values the error
        # quotes (a database error would print the post text it was given).
        click.echo(f"internal error: {redact_error(exc)}", err=True)
        sys.exit(70)
    # With standalone_mode=False, click returns a command's exit code instead of exiting.
    if isinstance(code, int) and code:
        sys.exit(code)
