"""serve, compliance-link: the review page and the operator's link to the compliance view."""

from __future__ import annotations

import click

from monitor import audit
from monitor.cli.common import get_app
from monitor.db import session_scope
from monitor.links import make_token


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

        from monitor import logs
        from monitor.web import create_app

        app = get_app(ctx)
        settings = app.config.settings
        logs.configure(settings.logging.level, settings.daemon.log_format, app.config.secrets)
        review = settings.review
        host, port = host or review.host, port or review.port
        click.echo(f"review page on http://{host}:{port} (links point at {review.base_url})")
        # No uvicorn access log: it would print query strings, which can hold sign-in tokens.
        # The page logs method, path and status itself.
        uvicorn.run(create_app(app), host=host, port=port, access_log=False, log_config=None,
                    proxy_headers=True, server_header=False)

    @cli.command("compliance-link")
    @click.pass_context
    def compliance_link(ctx: click.Context) -> None:
        """Print a link to the compliance view (aggregates only); it expires like review links.

        Give it only to the compliance or people team; making one is recorded in the audit log.
        """
        app = get_app(ctx)
        review = app.config.settings.review
        token = make_token(app.config, 0, "compliance")
        with session_scope(app.engine) as session:
            audit.record(session, "cli", "compliance.link_created", "compliance")
        click.echo(f"{review.base_url.rstrip('/')}/compliance?token={token}")
        click.echo(f"valid for {review.link_ttl_hours} hours", err=True)
