"""Typed settings: declared once here, defaults in ``config/defaults.toml``.

A test keeps the two in step. Secrets live only in :class:`Secrets`, read from the
environment (or a secrets folder), never from a settings file and never logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.bluesky import Options as BlueskyOptions
from connectors.files import Options as FileOptions
from connectors.linkedin_export import Options as LinkedInExportOptions
from connectors.mastodon import Options as MastodonOptions
from connectors.reddit_options import Options as RedditOptions
from connectors.rss import Options as RssOptions
from connectors.x import Options as XOptions

ENV_PREFIX = "SOCIAL_MONITOR_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Databases the schema, the locks and the tests are made for: backend -> drivers that work.
DATABASE_BACKENDS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}
_URL_EXAMPLES = "sqlite:////var/lib/social-monitor/db.sqlite or postgresql+psycopg://user@host/db"


def check_database_url(url: str) -> str:
    """``url`` if it names a database we run on with a driver that is installed.

    The message never quotes the URL (it may hold a password): only its dialect and driver.
    """
    if not url:
        return url
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise ValueError(f"not a database URL (expected {_URL_EXAMPLES})") from None
    backend = parsed.get_backend_name()
    try:
        dialect = parsed.get_dialect()
        driver = parsed.get_driver_name()
    except sqlalchemy.exc.NoSuchModuleError:
        raise ValueError(
            f"unknown database dialect {parsed.drivername!r} (expected {_URL_EXAMPLES})"
        ) from None
    if backend not in DATABASE_BACKENDS:
        raise ValueError(
            f"database {backend!r} is not supported: social-monitor runs on SQLite and "
            f"PostgreSQL (expected {_URL_EXAMPLES})"
        )
    hint = "+".join((backend, DATABASE_BACKENDS[backend][0]))
    if driver not in DATABASE_BACKENDS[backend]:
        raise ValueError(f"database driver {driver!r} is not supported; use {hint}://...")
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ValueError(
            f"the database driver of {parsed.drivername!r} ({driver}) is not installed; "
            f"use {hint}://..."
        ) from None
    return url


def masked_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ``***``."""
    if not url:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show only what precedes any credentials
        return url.split("://", 1)[0] + "://***" if "://" in url else "***"


class StorageSettings(_Section):
    database_url: str = ""
    data_dir: Path = Path("data")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        return check_database_url(value)

    def url(self) -> str:
        """The SQLAlchemy URL: the configured one, or a SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'social-monitor.storage.db'}"


class PollingSettings(_Section):
    interval_minutes: int = Field(15, ge=1)
    jitter_seconds: int = Field(60, ge=0)
    batch_size: int = Field(1000, ge=1)
    workers: int = Field(4, ge=1, le=64)
    backoff_base_seconds: int = Field(60, ge=1)
    backoff_cap_seconds: int = Field(21600, ge=1)
    failing_after: int = Field(5, ge=1)
    max_text_bytes: int = Field(102400, ge=1024)
    max_id_length: int = Field(128, ge=16, le=128)
    max_retry_after_seconds: int = Field(86400, ge=60)
    deletion_checks: int = Field(2, ge=1)


class AlertSettings(_Section):
    max_attempts: int = Field(6, ge=1)
    retry_base_seconds: int = Field(30, ge=1)
    retry_cap_seconds: int = Field(3600, ge=1)
    immediate_per_hour: int = Field(5, ge=0)
    digest_hour: int = Field(8, ge=0, le=23)


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    sender: str = "social-monitor@localhost"
    starttls: bool = False
    tls: bool = False
    username: str = ""
    timeout_seconds: float = Field(10, gt=0)
    ca_file: str = ""


class ReviewSettings(_Section):
    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    link_ttl_hours: int = Field(72, ge=1)
    serve_with_daemon: bool = False

    @field_validator("base_url")
    @classmethod
    def _http_address(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value.strip():
            raise ValueError(
                "expected the review page's public http(s) address, like "
                "https://monitor.corp.example (it starts every link in the e-mails)"
            )
        if parts.query or parts.fragment:
            raise ValueError("expected an address without ?query or #fragment")
        return value


class ChannelSettings(_Section):
    """Chat/push channels (apprise URLs); more may come from SOCIAL_MONITOR_CHANNEL_URLS."""

    urls: list[str] = []


class RetentionSettings(_Section):
    post_text_days: int = Field(30, ge=1)
    resolved_flag_days: int = Field(180, ge=1)


class ComplianceSettings(_Section):
    """The aggregate compliance view: counts drawn from fewer people than this are hidden."""

    min_cell_size: int = 5

    @field_validator("min_cell_size")
    @classmethod
    def _at_least_three(cls, value: int) -> int:
        if value < 3:
            raise ValueError(
                f"min_cell_size must be at least 3 (got {value}): a count drawn from one or "
                "two employees tells who they are"
            )
        return value


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class DaemonSettings(_Section):
    """The background service (`social-monitor run` / `worker`); see ``config/defaults.toml``."""

    mode: Literal["embedded", "procrastinate"] = "embedded"
    tick_seconds: int = Field(30, ge=1, le=3600)
    network_request_budget: int = Field(300, ge=1)
    auth_pause_minutes: int = Field(60, ge=1)
    recheck_minutes: int = Field(60, ge=1)
    recheck_batch: int = Field(200, ge=1)
    recheck_recent_days: int = Field(7, ge=0)
    recheck_recent_hours: int = Field(24, ge=0)
    recheck_recent_batch: int = Field(100, ge=1)
    recheck_recent_networks: list[str] = ["mastodon", "reddit"]
    shutdown_timeout_seconds: float = Field(20, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(9464, ge=0, le=65535)
    log_format: Literal["auto", "json", "text"] = "auto"
    procrastinate_schema: str = Field("procrastinate", pattern=r"^[a-z_][a-z0-9_]*$")


class ClassifierSettings(_Section):
    phone_regions: list[str] = ["US", "GB", "DE", "FR", "IN", "AU", "CA"]
    wording_languages: list[str] = ["en"]


class NetworkSettings(_Section):
    """``[networks.<name>]``: each connector's own typed options, with their help."""

    file: FileOptions = FileOptions()
    x: XOptions = XOptions()
    reddit: RedditOptions = RedditOptions()
    mastodon: MastodonOptions = MastodonOptions()
    bluesky: BlueskyOptions = BlueskyOptions()
    rss: RssOptions = RssOptions()
    linkedin_export: LinkedInExportOptions = LinkedInExportOptions()


class Settings(BaseSettings):
    """All non-secret settings. Environment variables override the files."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    storage: StorageSettings = StorageSettings()
    polling: PollingSettings = PollingSettings()
    alerts: AlertSettings = AlertSettings()
    smtp: SmtpSettings = SmtpSettings()
    review: ReviewSettings = ReviewSettings()
    channels: ChannelSettings = ChannelSettings()
    retention: RetentionSettings = RetentionSettings()
    compliance: ComplianceSettings = ComplianceSettings()
    logging: LoggingSettings = LoggingSettings()
    daemon: DaemonSettings = DaemonSettings()
    classifiers: ClassifierSettings = ClassifierSettings()
    networks: NetworkSettings = NetworkSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The files arrive as init values; the environment wins over them.
        return (env_settings, init_settings)


class Secrets(BaseSettings):
    """Credentials: only from the environment or the secrets folder. Never logged."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    smtp_password: SecretStr | None = None
    secret_key: SecretStr | None = None
    x_bearer_token: SecretStr | None = None
    reddit_client_id: SecretStr | None = None
    reddit_client_secret: SecretStr | None = None
    mastodon_access_token: SecretStr | None = None
    # Apprise URLs of chat/push channels, separated by spaces or new lines (they hold tokens).
    channel_urls: SecretStr | None = None

    def network_options(self, network: str) -> dict[str, Any]:
        """The secrets a connector factory needs, as plain strings (missing ones omitted)."""
        wanted = {
            "x": {"bearer_token": self.x_bearer_token},
            "reddit": {
                "client_id": self.reddit_client_id,
                "client_secret": self.reddit_client_secret,
            },
            "mastodon": {"access_token": self.mastodon_access_token},
        }.get(network, {})
        return {k: v.get_secret_value() for k, v in wanted.items() if v is not None}
