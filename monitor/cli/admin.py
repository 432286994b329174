"""init, config check, db upgrade."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.alerts.links import secret_key
from monitor.cli.common import get_app
from monitor.config import load_config
from monitor.storage import migrate


def register(cli: click.Group) -> None:
    @cli.command()
    @click.pass_context
    def init(ctx: click.Context) -> None:
        """Create the data directory and database, and a key for signing review links."""
        app = get_app(ctx)
        secret_key(app.config)
        click.echo(f"database ready: {app.engine.url.render_as_string(hide_password=True)}")
        click.echo(f"config: {app.config.config_dir}")

    @cli.group()
    def config() -> None:
        """Inspect the configuration."""

    @config.command("check")
    @click.option("--config", "config_dir", type=click.Path(path_type=Path), default=None,
                  help="Config directory to check (default: the one the group uses).")
    @click.pass_context
    def config_check(ctx: click.Context, config_dir: Path | None) -> None:
        """Validate settings and policy; print every problem with file, key and expectation."""
        cfg = load_config(config_dir or ctx.find_root().obj.get("config_dir"))
        s, p = cfg.settings, cfg.policy
        click.echo(f"config OK: {cfg.config_dir}")
        click.echo(f"  database: {s.storage.url()}")
        click.echo(f"  smtp: {s.smtp.host}:{s.smtp.port}  review page: {s.review.base_url}")
        click.echo(
            f"  policy: {len(p.confidential.secret_clients)} secret clients, "
            f"{len(p.confidential.project_code_names)} code names, "
            f"thresholds alert>={p.thresholds.alert} digest>={p.thresholds.digest}"
        )

    @cli.group()
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    @click.pass_context
    def db_upgrade(ctx: click.Context) -> None:
        """Apply pending migrations."""
        app = get_app(ctx)  # opening the app upgrades
        click.echo(f"database at revision {migrate.current_revision(app.engine)}")
