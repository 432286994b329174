"""demo: the whole flow locally."""

from __future__ import annotations

import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import click

from monitor.demo import run_demo


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help="Fresh folder for the demo (default: a new temporary one).")
    @click.pass_context
    def demo(ctx: click.Context, folder: Path | None) -> None:
        """Run the whole flow with bundled sample data: poll, flag, e-mail (no network)."""
        folder = folder or Path(tempfile.mkdtemp(prefix="social-monitor-demo-"))
        r = run_demo(folder, ctx.find_root().obj.get("config_dir"))
        click.echo(f"demo folder: {r.folder}")
        click.echo(f"database: {r.database}")
        click.echo(f"{r.employees} employees, {r.posts} posts read, {r.findings} findings")
        click.echo(f"{r.immediate_sent} immediate alert(s) and {r.digests_sent} digest(s) "
                   f"e-mailed to the local SMTP sink")
        click.echo(f"e-mails saved in {r.mail_folder} ({r.mails} .eml files)")
        for eml in sorted(r.mail_folder.glob("*.eml")):
            msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
            click.echo(f"  {eml.name}: to {msg['To']}: {msg['Subject']}")
