"""poll --once and run."""

from __future__ import annotations

import logging

import click

from monitor import daemon, outbox, polling
from monitor.cli.common import get_app, print_json


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--once", is_flag=True, required=True,
                  help="Poll every due account once, deliver alerts, and exit.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def poll(ctx: click.Context, once: bool, as_json: bool) -> None:
        """Poll due accounts once: fetch, store, classify, queue and send alerts."""
        app = get_app(ctx)
        reports = polling.poll_due(app.engine, app.config, app.pipeline, app.connector_for)
        totals = polling.summarize(reports)
        d = outbox.deliver_due(app.engine, app.config, app.transport(), app.composers)
        totals.update(alerts_sent=d.sent, alerts_failed=d.failed, alerts_dead=d.dead)
        if as_json:
            print_json(totals)
        else:
            click.echo(", ".join(f"{k}={v}" for k, v in totals.items()))
        for r in reports:
            if r.error:
                click.echo(f"account {r.account_id}: {r.outcome}: {r.error}", err=True)

    @cli.command()
    @click.option("--tick", type=click.IntRange(1, 3600), default=30, show_default=True,
                  help="Seconds between scheduler ticks.")
    @click.pass_context
    def run(ctx: click.Context, tick: int) -> None:
        """Run the daemon until SIGTERM or Ctrl-C."""
        app = get_app(ctx)
        logging.basicConfig(level=app.config.settings.logging.level,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        click.echo(f"social-monitor running on {app.engine.url.render_as_string()} "
                   f"(tick {tick}s); Ctrl-C stops")
        daemon.run(app, tick_seconds=tick)
        click.echo("stopped")
