"""init, config check, db upgrade."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.alerts.links import secret_key
from monitor.cli.common import get_app, print_json
from monitor.config import load_config, settings_rows
from monitor.errors import ConfigError, ConfigProblem
from monitor.settings import masked_url
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
    @click.option("--json", "as_json", is_flag=True,
                  help="Print JSON: ok, problems, warnings and what is in use.")
    @click.pass_context
    def config_check(ctx: click.Context, config_dir: Path | None, as_json: bool) -> None:
        """Validate settings, environment and policy; print every problem with file, key and
        expectation (exit 2 if any), and warnings (e.g. the bundled placeholder policy)."""
        try:
            cfg = load_config(config_dir or ctx.find_root().obj.get("config_dir"))
        except ConfigError as exc:
            if not as_json:
                raise
            print_json({"ok": False, "problems": [_problem(p) for p in exc.problems],
                        "warnings": []})
            raise click.exceptions.Exit(2) from None
        s, p = cfg.settings, cfg.policy
        summary = {
            "ok": True,
            "problems": [],
            "warnings": [_problem(w) for w in cfg.warnings],
            "config_dir": str(cfg.config_dir),
            "database": masked_url(s.storage.url()),
            "smtp": f"{s.smtp.host}:{s.smtp.port}",
            "review_base_url": s.review.base_url,
            "policy": {
                "placeholder": cfg.placeholder_policy,
                "secret_clients": len(p.confidential.secret_clients),
                "code_names": len(p.confidential.project_code_names),
                "alert_threshold": p.thresholds.alert,
                "digest_threshold": p.thresholds.digest,
            },
        }
        if as_json:
            print_json(summary)
            return
        click.echo(f"config OK: {cfg.config_dir}")
        click.echo(f"  database: {summary['database']}")
        click.echo(f"  smtp: {summary['smtp']}  review page: {s.review.base_url}")
        click.echo(
            f"  policy: {len(p.confidential.secret_clients)} secret clients, "
            f"{len(p.confidential.project_code_names)} code names, "
            f"thresholds alert>={p.thresholds.alert} digest>={p.thresholds.digest}"
            + (" (the bundled placeholder: Example Corp)" if cfg.placeholder_policy else "")
        )
        for warning in cfg.warnings:
            click.echo(f"WARNING: {warning}", err=True)

    @config.command("settings")
    @click.argument("prefix", required=False, default="")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: key, value, help.")
    @click.pass_context
    def config_settings(ctx: click.Context, prefix: str, as_json: bool) -> None:
        """Every setting in use (or those under PREFIX, e.g. networks.reddit) with its value
        and, where it declares one, its help. Secrets are never listed; the database URL is
        shown without its password."""
        cfg = load_config(ctx.find_root().obj.get("config_dir"))
        rows = [r for r in settings_rows(cfg.settings) if r["key"].startswith(prefix)]
        if as_json:
            print_json(rows)
            return
        for row in rows:
            line = f"{row['key']} = {row['value']!r}"
            click.echo(line + (f"  # {row['help']}" if row["help"] else ""))

    @cli.group()
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    @click.pass_context
    def db_upgrade(ctx: click.Context) -> None:
        """Apply pending migrations."""
        app = get_app(ctx)  # opening the app upgrades
        click.echo(f"database at revision {migrate.current_revision(app.engine)}")


def _problem(p: ConfigProblem) -> dict[str, str]:
    return {"source": p.source, "key": p.key, "message": p.message}
