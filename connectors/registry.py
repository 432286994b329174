"""The explicit list of connectors: network name -> factory.

A factory takes the network's options (plain values from settings, secrets included,
resolved by ``monitor``) and returns a ready :class:`~connectors.base.Connector`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors import bluesky, files, linkedin_export, mastodon, reddit, rss, x
from connectors.base import Connector, UnknownNetwork

ConnectorFactory = Callable[[dict[str, Any]], Connector]

CONNECTORS: Mapping[str, ConnectorFactory] = {
    files.NETWORK: files.build,
    x.NETWORK: x.build,
    reddit.NETWORK: reddit.build,
    mastodon.NETWORK: mastodon.build,
    bluesky.NETWORK: bluesky.build,
    rss.NETWORK: rss.build,
    linkedin_export.NETWORK: linkedin_export.build,
}


def known_networks() -> list[str]:
    return sorted(CONNECTORS)


def check_network(network: str) -> str:
    """Return the network name if a connector exists for it, else raise UnknownNetwork."""
    if network not in CONNECTORS:
        raise UnknownNetwork(
            f"unknown network {network!r}; known networks: {', '.join(known_networks())}"
        )
    return network


def build_connector(network: str, options: dict[str, Any]) -> Connector:
    return CONNECTORS[check_network(network)](options)
