"""demo: the whole flow locally."""

from __future__ import annotations

import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import click

from monitor.service.demo import open_demo_app, run_demo
from monitor.service.smtp_sink import SmtpSink


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help="Fresh folder for the demo (default: a new temporary one).")
    @click.option("--serve", is_flag=True,
                  help="Then serve the review page (Ctrl+C stops it); sign in with a printed link.")
    @click.pass_context
    def demo(ctx: click.Context, folder: Path | None, serve: bool) -> None:
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
        click.echo(f"review page: {r.review_url}")
        for email, link in r.signin_links.items():
            click.echo(f"  sign in as {email} (works once): {link}")
        if not serve:
            click.echo("open it with: social-monitor demo --serve, or "
                       f"SOCIAL_MONITOR_STORAGE__DATA_DIR={r.folder} social-monitor serve")
            return
        _serve(r.folder, ctx.find_root().obj.get("config_dir"))


def _serve(folder: Path, config_dir: Path | None) -> None:
    """Serve the demo's review page; fresh-link e-mails land in the demo's mail folder."""
    import uvicorn

    from monitor.web import create_app

    with SmtpSink(folder / "mail") as sink:
        app = open_demo_app(folder, sink, config_dir)
        review = app.config.settings.review
        click.echo(f"serving the review page on http://{review.host}:{review.port} "
                   "(Ctrl+C stops it)")
        uvicorn.run(create_app(app), host=review.host, port=review.port, access_log=False,
                    server_header=False)
