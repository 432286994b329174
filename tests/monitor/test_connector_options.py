"""Each connector declares its options once (typed, with defaults and help); the settings
compose them, config check names the help of a setting it refuses, and `config settings`
lists every setting with its help."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from connectors.base import ConnectorOptions
from connectors.registry import CONNECTORS
from monitor.settings import NetworkSettings


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_MONITOR_")}
    env.update(extra)
    return env


@pytest.mark.parametrize("network", sorted(CONNECTORS))
def test_every_network_has_typed_options_with_help_in_the_settings(network: str) -> None:
    section = NetworkSettings.model_fields[network.replace("-", "_")]
    options = section.annotation
    assert isinstance(options, type) and issubclass(options, ConnectorOptions), network
    for name, info in options.model_fields.items():
        assert info.description, f"networks.{network}.{name} has no help"


def test_config_check_names_the_help_of_a_refused_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "config", "check"], capture_output=True, text=True,
        env=_env(SOCIAL_MONITOR_NETWORKS__X__MAX_RESULTS="500"), timeout=120)
    assert result.returncode == 2
    assert "networks.x.max_results" in result.stderr
    assert "Tweets per page (5-100)" in result.stderr


def test_config_settings_lists_values_and_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "config", "settings", "networks.mastodon"],
        capture_output=True, text=True, env=_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("networks.mastodon.api_base_url = ''  # Mastodon server address")
    assert all(line.startswith("networks.mastodon.") for line in lines)
