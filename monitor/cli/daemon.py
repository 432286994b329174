"""poll --once and run."""

from __future__ import annotations

import logging
import os
import sys

import click

from monitor.app import App
from monitor.cli.common import get_app, print_json, progress, warn
from monitor.clock import utcnow
from monitor.errors import BadInput, MonitorError
from monitor.people.employees import list_accounts
from monitor.polling import poller, scheduling
from monitor.service import daemon, logs, scaleout
from monitor.storage.db import session_scope


def _account_context(app: App, ids: list[int]) -> dict[int, str]:
    """``x @handle (owner@corp), next try HH:MM UTC`` per account id: where a failure is."""
    if not ids:
        return {}
    out: dict[int, str] = {}
    with session_scope(app.engine) as s:
        accounts = list_accounts(s, ids=ids)
    for acc in accounts:
        when = f", next try {acc.next_poll_at:%Y-%m-%d %H:%M} UTC" if acc.next_poll_at else ""
        state = f", {acc.status}" if acc.status != "active" else ""
        out[acc.id] = f"{acc.network} {acc.handle} ({acc.email}{state}{when})"
    return out


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--once", is_flag=True,
                  help="Poll every due account once, deliver alerts, and exit.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def poll(ctx: click.Context, once: bool, as_json: bool) -> None:
        """Poll due accounts once (--once): fetch, store, classify, queue and send alerts.

        For continuous polling run the daemon, `social-monitor run`. Each account that
        failed gets one line on stderr: id, network, handle, owner, outcome, error, next try."""
        if not once:
            raise BadInput("poll: add --once to poll every due account one time and exit; "
                           "to keep polling, run the daemon: `social-monitor run`")
        app = get_app(ctx)
        warn(app)
        now = utcnow()
        with session_scope(app.engine) as session:
            ids = scheduling.due_accounts(session, now, app.config.settings.polling.batch_size)
        # The poller (and the models it loads) only when some account is due.
        reports = [app.poller().poll_account(i, now=now) for i in progress(ids, "polling")]
        totals = poller.summarize(reports)
        d = app.outbox().deliver_due()
        totals.update(alerts_sent=d.sent, alerts_failed=d.failed, alerts_dead=d.dead)
        if as_json:
            print_json(totals)
        else:
            click.echo(", ".join(f"{k}={v}" for k, v in totals.items()))
        failed = [r for r in reports if r.error]
        context = _account_context(app, [r.account_id for r in failed])
        for r in failed:
            click.echo(f"account {r.account_id} {context.get(r.account_id, r.network)}: "
                       f"{r.outcome}: {r.error}", err=True)

    @cli.command()
    @click.option("--tick", type=click.IntRange(1, 3600), default=None,
                  help="Seconds between scheduler ticks (default: daemon.tick_seconds).")
    @click.pass_context
    def run(ctx: click.Context, tick: int | None) -> None:
        """Run the daemon until SIGTERM or Ctrl-C: polls, alerts, re-checks, digest,
        retention, and /healthz + /metrics on daemon.http_port. Logs go to stderr."""
        app = get_app(ctx)
        s = app.config.settings
        if s.daemon.mode != "embedded":
            raise MonitorError('daemon.mode is "procrastinate": start `social-monitor worker` '
                               "processes instead of `run`")
        logs.configure(s.logging.level, s.daemon.log_format, app.config.secrets)
        warn(app, log=True)
        click.echo(f"social-monitor running on {app.engine.url.render_as_string()} "
                   f"(tick {tick or s.daemon.tick_seconds}s); Ctrl-C stops")
        report = daemon.run(app, tick_seconds=tick)
        click.echo("stopped" if report.clean else
                   f"stopped at the deadline; {report.abandoned} job(s) abandoned")
        if not report.clean:
            # Abandoned worker threads would keep the interpreter alive; their transactions
            # roll back like after a crash, so leaving now is safe.
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    @cli.command()
    @click.option("--queue", "queues", multiple=True, type=click.Choice(scaleout.QUEUES),
                  help="Queue to work on (repeatable; default: all).")
    @click.option("--name", default=None, help="Worker name shown in procrastinate's tables.")
    @click.pass_context
    def worker(ctx: click.Context, queues: tuple[str, ...], name: str | None) -> None:
        """Run a scale-out worker (daemon.mode = "procrastinate", PostgreSQL) until SIGTERM.

        Start any number, on any number of machines; each polls, sends and maintains."""
        app = get_app(ctx)
        s = app.config.settings
        if s.daemon.mode != "procrastinate":
            raise MonitorError('workers need daemon.mode = "procrastinate" (and PostgreSQL); '
                               "the embedded default runs with `social-monitor run`")
        logs.configure(s.logging.level, s.daemon.log_format, app.config.secrets)
        warn(app, log=True)
        click.echo(f"social-monitor worker on {app.engine.url.render_as_string()} "
                   f"(queues: {', '.join(queues or scaleout.QUEUES)}); Ctrl-C stops")
        scaleout.run_worker(app, list(queues) or None, name)
        click.echo("stopped")
