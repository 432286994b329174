"""Wire the application from validated configuration: engine, pipeline, connectors, mail."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from classifiers.pipeline import Pipeline
from connectors.base import Connector
from connectors.registry import build_connector
from monitor.alerts.channels import ChannelSender
from monitor.alerts.mailer import SmtpTransport
from monitor.alerts.outbox import Outbox, Sender
from monitor.classify.pipeline import make_pipeline
from monitor.config import AppConfig, load_config
from monitor.polling.poller import Poller
from monitor.polling.report import ConnectorFor
from monitor.storage import migrate
from monitor.storage.db import make_engine


@dataclass
class App:
    config: AppConfig
    engine: Engine
    # One connector per network and thread: praw and requests sessions are not documented
    # as thread-safe, and the daemon polls from a worker pool.
    _local: threading.local = field(default_factory=threading.local)
    _all_connectors: list[Connector] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _poller: Poller | None = None

    @cached_property
    def pipeline(self) -> Pipeline:
        return make_pipeline(self.config)

    def connector_for(self, network: str) -> Connector:
        """The calling thread's connector for ``network``, built from its settings and secrets."""
        cache: dict[str, Connector] = self._local.__dict__.setdefault("connectors", {})
        if network not in cache:
            options: dict[str, Any] = {}
            # Settings sections are Python names: "linkedin-export" is networks.linkedin_export.
            section = getattr(self.config.settings.networks, network.replace("-", "_"), None)
            if section is not None:
                options.update(section.model_dump())
            options.update(self.config.secrets.network_options(network))
            cache[network] = build_connector(network, options)
            with self._lock:
                self._all_connectors.append(cache[network])
        return cache[network]

    def close(self) -> None:
        """Close every connector and the database pool."""
        with self._lock:
            connectors, self._all_connectors = self._all_connectors, []
        for connector in connectors:
            connector.close()
        self.engine.dispose()

    def poller(self, *, connector_for: ConnectorFor | None = None) -> Poller:
        """Polling wired with this app's engine, settings and pipeline, built once (on first
        use: the models load then); connectors from this app (one per network and thread)
        unless ``connector_for`` is given, which wires a Poller of its own."""
        if connector_for is not None:
            return Poller(engine=self.engine, config=self.config, pipeline=self.pipeline,
                          connector_for=connector_for)
        pipeline = self.pipeline  # outside the lock: loading takes a second or two
        with self._lock:
            if self._poller is None:
                self._poller = Poller(engine=self.engine, config=self.config,
                                      pipeline=pipeline, connector_for=self.connector_for)
            return self._poller

    def transport(self) -> SmtpTransport:
        return SmtpTransport(self.config)

    def outbox(self, *, sender: Sender | None = None,
               channels: ChannelSender | None = None) -> Outbox:
        """Delivery wired with this app's engine and settings; mail over SMTP unless
        ``sender`` is given, every alert kind with its composer."""
        return Outbox(engine=self.engine, config=self.config,
                      sender=sender if sender is not None else self.transport(),
                      channels=channels)


def open_app(
    config_dir: Path | None = None,
    upgrade: bool = True,
    overrides: dict[str, Any] | None = None,
) -> App:
    """Load config, open the database and bring its schema up to date."""
    config = load_config(config_dir, overrides)
    engine = make_engine(config.settings.storage.url())
    if upgrade:
        migrate.upgrade(engine)
    return App(config, engine)
