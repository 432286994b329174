"""The explicit registry of connectors."""

from __future__ import annotations

import pytest

from connectors.base import Connector, UnknownNetwork
from connectors.registry import CONNECTORS, build_connector, check_network, known_networks


def test_all_networks_are_registered() -> None:
    assert known_networks() == [
        "bluesky", "file", "linkedin-export", "mastodon", "reddit", "rss", "x"
    ]


@pytest.mark.parametrize("network", sorted(CONNECTORS))
def test_each_factory_builds_a_connector_from_empty_options(network: str) -> None:
    connector = build_connector(network, {})
    assert isinstance(connector, Connector)
    assert connector.network == network
    close = getattr(connector, "close", None)
    if close is not None:
        close()


def test_unknown_network_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownNetwork, match="known networks: bluesky, file, linkedin-export, mastodon"
    ):
        check_network("myspace")
