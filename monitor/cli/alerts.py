"""alerts ... and digest ... commands."""

from __future__ import annotations

import os
from pathlib import Path

import click

from monitor.alerts import digest as digest_svc
from monitor.alerts.outbox_admin import list_alerts, requeue
from monitor.cli.common import get_app, print_json, print_rows
from monitor.clock import utcnow
from monitor.errors import BadInput
from monitor.people.employees import employee_info
from monitor.storage.db import session_scope

STATUSES = ("queued", "sending", "sent", "unconfirmed", "failed", "dead", "cancelled")


def register(cli: click.Group) -> None:
    @cli.group()
    def alerts() -> None:
        """The alert outbox."""

    @alerts.command("list")
    @click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def alerts_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
        """List alerts (e.g. dead letters with --status dead)."""
        rows = list_alerts(get_app(ctx).engine, status)
        print_rows(rows, ["id", "email", "kind", "channel", "status", "attempts",
                                "last_error"], as_json,
                   "alerts")

    @alerts.command("retry")
    @click.argument("alert_id", type=int, required=False)
    @click.option("--all-dead", is_flag=True, help="Requeue every dead alert.")
    @click.pass_context
    def alerts_retry(ctx: click.Context, alert_id: int | None, all_dead: bool) -> None:
        """Requeue a dead or failed alert (ID), or all dead ones."""
        if (alert_id is None) == (not all_dead):
            raise BadInput("give an alert ID or --all-dead (not both)")
        n = requeue(get_app(ctx).engine, None if all_dead else alert_id, utcnow())
        click.echo(f"requeued {n} alert(s)")

    @alerts.command("send")
    @click.pass_context
    def alerts_send(ctx: click.Context) -> None:
        """Send every alert that is due now."""
        app = get_app(ctx)
        r = app.outbox().deliver_due()
        click.echo(f"sent {r.sent}, failed {r.failed}, dead {r.dead}, cancelled {r.cancelled}")

    @cli.group()
    def digest() -> None:
        """The daily digest e-mail."""

    @digest.command("preview")
    @click.argument("email")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Folder for the .eml and .html files.")
    @click.pass_context
    def digest_preview(ctx: click.Context, email: str, out: Path) -> None:
        """Write EMAIL's digest as .eml and .html, without sending."""
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"--out: cannot create the folder {out}: {exc.strerror}") from exc
        if not os.access(out, os.W_OK):
            raise BadInput(f"--out: the folder {out} is not writable")
        app = get_app(ctx)
        with session_scope(app.engine) as s:
            emp = employee_info(s, email)
        result = digest_svc.preview(app.engine, app.config, emp, out, utcnow())
        if result is None:
            click.echo(f"{emp.email} has nothing open: no digest")
            return
        click.echo(f"{result.subject}\n  {result.eml}\n  {result.html}")

    @digest.command("send")
    @click.option("--dry-run", is_flag=True, help="Say whose digest is due; send nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def digest_send(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
        """Queue and send the digests that are due (local digest hour reached, something open)."""
        app = get_app(ctx)
        now = utcnow()
        if dry_run:
            rows = [{"email": d.email, "open": d.open_posts, "due": d.due}
                    for d in digest_svc.due_report(app.engine, now)]
            if as_json:
                print_json({"dry_run": True, "employees": rows})
                return
            for row in rows:
                posts = "1 post" if row["open"] == 1 else f"{row['open']} posts"
                click.echo(f"{row['email']}: {posts} open, "
                           f"{'due' if row['due'] else 'not due'}")
            return
        queued = digest_svc.enqueue_due_digests(app.engine, app.config, now)
        r = app.outbox().deliver_due(now=now)
        if as_json:
            print_json({"dry_run": False, "queued": queued, "sent": r.sent, "failed": r.failed,
                        "dead": r.dead})
            return
        click.echo(f"queued {queued} digest(s); sent {r.sent}, failed {r.failed}, dead {r.dead}")
