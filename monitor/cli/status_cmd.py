"""status: the service at a glance (the same figures as /metrics, from the database)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from monitor.cli.common import get_app, print_json
from monitor.clock import utcnow
from monitor.service import status


def _table(title: str, rows: dict[str, object]) -> Table:
    table = Table(show_header=True)
    table.add_column(title)
    table.add_column("count", justify="right")
    for key, value in rows.items():
        table.add_row(key, str(value))
    if not rows:
        table.add_row("(none)", "")
    return table


def register(cli: click.Group) -> None:
    @cli.command("status")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def status_command(ctx: click.Context, as_json: bool) -> None:
        """Accounts, due polls, paused networks, open flags, alert queue; is the daemon up."""
        app = get_app(ctx)
        snap = status.snapshot(app.engine, utcnow(), status.lock_path(app.config.settings.storage))
        if as_json:
            print_json(snap)
            return
        console = Console(width=100)
        daemon = f"running (pid {snap.daemon_pid})" if snap.daemon_pid else "not running here"
        last = snap.last_poll_at.isoformat(timespec="seconds") if snap.last_poll_at else "never"
        console.print(f"daemon: {daemon}; last poll: {last}; accounts due now: "
                      f"{snap.accounts_due}; posts: {snap.posts} "
                      f"({snap.posts_with_text} with text)")
        for network, until in snap.paused_networks.items():
            console.print(f"[bold red]network {network} paused until "
                          f"{until.isoformat(timespec='minutes')}[/]: credentials refused")
        for acc in snap.failing_accounts:
            console.print(f"[bold red]account {acc['account_id']} ({acc['network']}) "
                          f"{acc['reason']}[/]")
        console.print(_table("accounts by status", dict(snap.accounts_by_status)))
        console.print(_table("accounts by network (failing)", {
            n: f"{c} ({snap.failing_by_network.get(n, 0)})"
            for n, c in snap.accounts_by_network.items()}))
        console.print(_table("open flags by category", dict(snap.open_findings_by_category)))
        console.print(_table(f"alerts by status (queue depth {snap.queue_depth})",
                             dict(snap.alerts_by_status)))
