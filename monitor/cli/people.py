"""employees ... and accounts ... commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from monitor.app import App
from monitor.cli.common import get_app, print_json, print_rows
from monitor.errors import BadInput, NotFound
from monitor.people import employees as svc
from monitor.people import handles
from monitor.storage.db import session_scope


def _employee_json(emp: svc.EmployeeInfo) -> dict[str, Any]:
    return {
        "email": emp.email,
        "name": emp.name,
        "timezone": emp.timezone,
        "digest_hour": emp.digest_hour,
        "opted_in": emp.opted_in,
        "opted_in_at": emp.opted_in_at,
    }


def _file_base(app: App) -> Path | None:
    base = app.config.settings.networks.file.base_dir
    return Path(base).expanduser() if base else None


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
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def employees_add(ctx: click.Context, email: str, name: str, timezone: str,
                      digest_hour: int | None, own_contacts: tuple[str, ...],
                      opt_in: bool, as_json: bool) -> None:
        """Add an employee (not monitored until they opt in)."""
        app = get_app(ctx)
        hour = app.config.settings.alerts.digest_hour if digest_hour is None else digest_hour
        with session_scope(app.engine) as s:
            emp = svc.add_employee(s, email, name, timezone, hour, own_contacts)
            if opt_in:
                emp = svc.opt_in(s, emp.email)
        if as_json:
            print_json(_employee_json(emp))
            return
        click.echo(f"added {emp.email}" + (" (opted in)" if opt_in else " (not opted in yet)"))

    @employees.command("opt-in")
    @click.argument("email")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def employees_opt_in(ctx: click.Context, email: str, as_json: bool) -> None:
        """Record the employee's consent: their linked public accounts are polled from now."""
        with session_scope(get_app(ctx).engine) as s:
            emp = svc.opt_in(s, email)
        if as_json:
            print_json(_employee_json(emp))
            return
        click.echo(f"{emp.email} opted in")

    @employees.command("opt-out")
    @click.argument("email")
    @click.option("--yes", "-y", is_flag=True,
                  help="Do not ask for confirmation (scripts). Without it, a question is asked.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def employees_opt_out(ctx: click.Context, email: str, yes: bool, as_json: bool) -> None:
        """Stop polling at once and erase the person's accounts, posts, findings and alerts.

        This cannot be undone; it asks first unless --yes is given."""
        app = get_app(ctx)
        with session_scope(app.engine) as s:
            address = svc.employee_info(s, email).email  # NotFound before any question
        if not yes:
            if not sys.stdin.isatty():
                raise BadInput(f"opt-out erases everything stored about {address} and cannot "
                               "be undone: pass --yes to confirm (no terminal to ask on)")
            if not click.confirm(f"Opt {address} out and erase their accounts, posts, "
                                 "findings and alerts? This cannot be undone", default=False,
                                 err=True):
                raise BadInput(f"not confirmed: nothing erased for {address}")
        with session_scope(app.engine) as s:
            counts = svc.opt_out(s, address)
        if as_json:
            print_json({"email": address, "opted_out": True, "erased": counts})
            return
        click.echo(
            f"{address} opted out; erased "
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
        """Link a public account (NETWORK: file, linkedin-export, x, reddit, mastodon,
        bluesky, rss).

        HANDLE's shape is checked for the network (an X or Reddit user name, user@server
        for Mastodon, a handle or DID for Bluesky, an http(s) feed address, an existing
        export file or folder, stored as an absolute path). Whether the account exists and
        is public is checked by `accounts verify`."""
        app = get_app(ctx)
        svc.known_network(network)
        stored = handles.check_handle(
            network, handle, base_dir=_file_base(app),
            mastodon_base_url=app.config.settings.networks.mastodon.api_base_url,
        )
        with session_scope(app.engine) as s:
            acc = svc.link_account(s, email, network, stored)
        click.echo(f"linked {network} {stored} to {email} (account {acc.id})")

    @accounts.command("unlink")
    @click.argument("email")
    @click.argument("network")
    @click.argument("handle")
    @click.pass_context
    def accounts_unlink(ctx: click.Context, email: str, network: str, handle: str) -> None:
        """Unlink an account and erase what was stored from it."""
        app = get_app(ctx)
        stored = handles.stored_form(network, handle, _file_base(app))
        with session_scope(app.engine) as s:
            try:
                svc.unlink_account(s, email, network, stored)
            except NotFound:
                if stored == handle.strip():
                    raise
                svc.unlink_account(s, email, network, handle.strip())  # linked before paths
                stored = handle.strip()                                # were made absolute
        click.echo(f"unlinked {network} {stored} from {email}")

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
    @click.option("--json", "as_json", is_flag=True,
                  help="Print JSON: ok, problems, and per account ok, error, message.")
    @click.pass_context
    def accounts_verify(ctx: click.Context, as_json: bool) -> None:
        """Check that each linked handle exists and is public; say what is wrong where not.

        Exits 1 if any account has a problem."""
        app = get_app(ctx)
        results: list[dict[str, Any]] = []
        for acc in svc.verify_accounts(app.engine, app.connector_for):
            results.append({"id": acc.id, "email": acc.email, "network": acc.network,
                            "handle": acc.handle, "ok": acc.error is None, "error": acc.error,
                            "message": acc.message})
            if as_json:
                continue
            if acc.error is None:
                click.echo(f"ok      {acc.network} {acc.handle}")
            else:
                click.echo(f"PROBLEM {acc.network} {acc.handle}: {acc.error}: {acc.message}")
        problems = sum(1 for r in results if not r["ok"])
        if as_json:
            print_json({"ok": problems == 0, "problems": problems, "accounts": results})
        elif not results:
            click.echo("no accounts linked")
        if problems:
            raise click.exceptions.Exit(1)
