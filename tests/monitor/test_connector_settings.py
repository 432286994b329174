"""Connector settings flow from config into the connectors: what an operator sets is used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connectors import reddit
from monitor.app import App


def test_reddit_contact_user_makes_the_user_agent_reddit_asks_for(
    make_app: Callable[..., App],
) -> None:
    app = make_app(networks={"reddit": {"contact_user": "monitor_ops"}})
    options = app.config.settings.networks.reddit.model_dump()
    assert reddit.user_agent(options).endswith(" (by /u/monitor_ops)")


def test_linkedin_export_reads_relative_handles_from_its_base_dir(
    make_app: Callable[..., App], tmp_path: Path,
) -> None:
    app = make_app(networks={"linkedin_export": {"base_dir": str(tmp_path / "drops")}})
    connector = app.connector_for("linkedin-export")
    assert getattr(connector, "base_dir", None) == tmp_path / "drops"
