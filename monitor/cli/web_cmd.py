"""serve, compliance-link: the review page and the operator's link to the compliance view."""

from __future__ import annotations

import click

from monitor.cli.common import get_app, print_rows, warn
from monitor.clock import utcnow
from monitor.review.compliance_links import create_link, list_links, revoke_links


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default=None,
                  help="Address to listen on. Default: review.host from the settings.")
    @click.option("--port", type=click.IntRange(1, 65535), default=None,
                  help="Port to listen on. Default: review.port from the settings.")
    @click.pass_context
    def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
        """Serve the self-review web page (put it behind HTTPS in production)."""
        import uvicorn

        from monitor.service import logs
        from monitor.web import create_app

        app = get_app(ctx)
        settings = app.config.settings
        logs.configure(settings.logging.level, settings.daemon.log_format, app.config.secrets)
        warn(app, log=True)
        review = settings.review
        host, port = host or review.host, port or review.port
        click.echo(f"review page on http://{host}:{port} (links point at {review.base_url})")
        # No uvicorn access log: it would print query strings, which can hold sign-in tokens.
        # The page logs method, path and status itself.
        uvicorn.run(create_app(app), host=host, port=port, access_log=False, log_config=None,
                    proxy_headers=True, server_header=False)

    @cli.group("compliance-link", invoke_without_command=True)
    @click.pass_context
    def compliance_link(ctx: click.Context) -> None:
        """Print a link to the compliance view (aggregates only); it expires like review links.

        Without a subcommand, the same as `compliance-link create`. Give it only to the
        compliance or people team; making and revoking links is recorded in the audit log.
        """
        if ctx.invoked_subcommand is None:
            _create(ctx)

    @compliance_link.command("create")
    @click.pass_context
    def compliance_link_create(ctx: click.Context) -> None:
        """Print a new link (its id goes to stderr, for `compliance-link revoke ID`)."""
        _create(ctx)

    @compliance_link.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def compliance_link_list(ctx: click.Context, as_json: bool) -> None:
        """List the links handed out: id, when, and whether active, expired or revoked."""
        app = get_app(ctx)
        rows = list_links(app.engine, app.config, utcnow())
        print_rows(rows, ["id", "created_at", "status", "revoked_at"], as_json,
                   "compliance links")

    @compliance_link.command("revoke")
    @click.argument("link_ids", metavar="[ID]...", nargs=-1, type=int)
    @click.option("--all", "every", is_flag=True, help="Revoke every link not yet revoked.")
    @click.pass_context
    def compliance_link_revoke(ctx: click.Context, link_ids: tuple[int, ...], every: bool
                               ) -> None:
        """Revoke links by id (see `compliance-link list`) or --all: they open nothing after.

        A page already opened with a revoked link stops working at its next request.
        """
        revoked = revoke_links(get_app(ctx).engine, link_ids, every, utcnow())
        click.echo(f"revoked {len(revoked)} link(s)"
                   + (f": {', '.join(map(str, revoked))}" if revoked else ""))


def _create(ctx: click.Context) -> None:
    app = get_app(ctx)
    link = create_link(app.engine, app.config, utcnow())
    click.echo(link.url)
    click.echo(f"link {link.id}, valid for {app.config.settings.review.link_ttl_hours} hours"
               f" (revoke with `social-monitor compliance-link revoke {link.id}`)", err=True)
