"""employees ... and accounts ... commands."""

from __future__ import annotations

import click
from sqlmodel import select

from connectors.base import AccountRef, ConnectorError
from monitor.cli.common import get_app, print_rows
from monitor.people import employees as svc
from monitor.storage.db import session_scope
from monitor.storage.models import Account


def register(cli: click.Group) -> None:
    @cli.group()
    def employees() -> None:
        """Employees and their consent."""

    @employees.command("add")
    @click.argument("email")
    @click.option("--name", default="", help="Display name used in e-mails.")
    @click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
    @click.option("--digest-hour", type=click.IntRange(0, 23), default=None,
                  help="Local hour of the daily digest (default: alerts.digest_hour).")
    @click.option("--own-contact", "own_contacts", multiple=True,
                  help="The employee's own public e-mail or phone: never flagged. Repeatable.")
    @click.option("--opt-in", is_flag=True, help="Record consent at once.")
    @click.pass_context
    def employees_add(ctx: click.Context, email: str, name: str, timezone: str,
                      digest_hour: int | None, own_contacts: tuple[str, ...],
                      opt_in: bool) -> None:
        """Add an employee (not monitored until they opt in)."""
        app = get_app(ctx)
        hour = app.config.settings.alerts.digest_hour if digest_hour is None else digest_hour
        with session_scope(app.engine) as s:
            emp = svc.add_employee(s, email, name, timezone, hour, own_contacts)
            if opt_in:
                svc.opt_in(s, emp.email)
        click.echo(f"added {emp.email}" + (" (opted in)" if opt_in else " (not opted in yet)"))

    @employees.command("opt-in")
    @click.argument("email")
    @click.pass_context
    def employees_opt_in(ctx: click.Context, email: str) -> None:
        """Record the employee's consent: their linked public accounts are polled from now."""
        with session_scope(get_app(ctx).engine) as s:
            emp = svc.opt_in(s, email)
        click.echo(f"{emp.email} opted in")

    @employees.command("opt-out")
    @click.argument("email")
    @click.pass_context
    def employees_opt_out(ctx: click.Context, email: str) -> None:
        """Stop polling at once and erase the person's accounts, posts, findings and alerts."""
        with session_scope(get_app(ctx).engine) as s:
            counts = svc.opt_out(s, email)
        click.echo(
            f"{email} opted out; erased "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
        )

    @employees.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def employees_list(ctx: click.Context, as_json: bool) -> None:
        """List employees and their consent."""
        with session_scope(get_app(ctx).engine) as s:
            rows = svc.list_employees(s)
        print_rows(rows, ["email", "name", "timezone", "digest_hour", "opted_in", "accounts"],
                   as_json, "employees")

    @cli.group()
    def accounts() -> None:
        """Public accounts linked to employees."""

    @accounts.command("link")
    @click.argument("email")
    @click.argument("network")
    @click.argument("handle")
    @click.pass_context
    def accounts_link(ctx: click.Context, email: str, network: str, handle: str) -> None:
        """Link a public account (NETWORK: file, x, reddit, mastodon, bluesky, rss)."""
        with session_scope(get_app(ctx).engine) as s:
            acc = svc.link_account(s, email, network, handle)
        click.echo(f"linked {network} {handle} to {email} (account {acc.id})")

    @accounts.command("unlink")
    @click.argument("email")
    @click.argument("network")
    @click.argument("handle")
    @click.pass_context
    def accounts_unlink(ctx: click.Context, email: str, network: str, handle: str) -> None:
        """Unlink an account and erase what was stored from it."""
        with session_scope(get_app(ctx).engine) as s:
            svc.unlink_account(s, email, network, handle)
        click.echo(f"unlinked {network} {handle} from {email}")

    @accounts.command("list")
    @click.option("--email", default=None, help="Only this employee's accounts.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def accounts_list(ctx: click.Context, email: str | None, as_json: bool) -> None:
        """List linked accounts and their polling state."""
        with session_scope(get_app(ctx).engine) as s:
            rows = svc.list_accounts(s, email)
        print_rows(rows, ["id", "email", "network", "handle", "status", "next_poll_at"],
                   as_json, "accounts")

    @accounts.command("verify")
    @click.pass_context
    def accounts_verify(ctx: click.Context) -> None:
        """Check that each linked handle exists and is public; say what is wrong where not."""
        app = get_app(ctx)
        with session_scope(app.engine) as s:
            accs = [(a.id, a.network, a.handle, a.native_id) for a in s.exec(select(Account))]
        problems = 0
        for acc_id, network, handle, native_id in accs:
            try:
                ref = app.connector_for(network).verify(AccountRef(network, handle, native_id))
            except ConnectorError as exc:
                problems += 1
                click.echo(f"PROBLEM {network} {handle}: {type(exc).__name__}: {exc}")
                continue
            with session_scope(app.engine) as s:
                row = s.get(Account, acc_id)
                if row is not None and ref.native_id:
                    row.native_id = ref.native_id
                    s.add(row)
            click.echo(f"ok      {network} {handle}")
        if problems:
            raise click.exceptions.Exit(1)
