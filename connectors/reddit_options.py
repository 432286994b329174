"""Reddit's options (``[networks.reddit]``) and the User-Agent Reddit asks every client
to send: ``<platform>:<app id>:<version> (by /u/<user>)``."""

from __future__ import annotations

import importlib.metadata
import logging
import re
from typing import Any

from pydantic import Field

from connectors.base import (
    ConnectorOptions,
)

HANDLE = re.compile(r"^(?:/?u/|@)?([A-Za-z0-9_-]{3,20})/?$")
_USER_AGENT_FORM = re.compile(r"^[^:\s]+:[^:\s]+:[^:\s]+ \(by /?u/[A-Za-z0-9_-]{3,20}\)$")
_OLD_DEFAULT_USER_AGENT = "social-monitor/0.1"
APP_ID = "social-monitor"
log = logging.getLogger("connectors.reddit")


def _app_version() -> str:
    try:
        return importlib.metadata.version("social-monitor")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        return "0.1.0"


APP_VERSION = _app_version()


class Options(ConnectorOptions):
    """``[networks.reddit]``."""

    user_agent: str = Field(_OLD_DEFAULT_USER_AGENT, description="User-Agent sent to Reddit, "
                            "in the form Reddit asks for: <platform>:<app id>:<version> (by "
                            "/u/<user>); left at the default, python:social-monitor:<version> "
                            "(by /u/<contact_user>) is sent.")
    contact_user: str = Field("", description="The Reddit account that runs the app (the "
                              "'(by /u/...)' of the User-Agent), without u/.")
    oauth_url: str = Field("https://oauth.reddit.com", description="Reddit OAuth API address.")
    reddit_url: str = Field("https://www.reddit.com",
                            description="Reddit web address (used for authentication).")
    limit: int = Field(100, ge=1, le=100, description="Items per listing page.")
    timeout_seconds: float = Field(20, gt=0, description="Seconds to wait for Reddit.")


def user_agent(options: dict[str, Any]) -> str:
    """The User-Agent for ``options``, in Reddit's form when we can (see the module docstring)."""
    configured = Options.of(options).user_agent.strip()
    if _USER_AGENT_FORM.match(configured):
        return configured
    if configured and configured != _OLD_DEFAULT_USER_AGENT:
        log.warning(
            "reddit: user_agent is not in the form Reddit asks for "
            "('<platform>:<app id>:<version> (by /u/<user>)'); sending it as configured"
        )
        return configured
    agent = f"python:{APP_ID}:{APP_VERSION}"
    contact = HANDLE.match(Options.of(options).contact_user.strip())
    if contact is None:
        log.warning(
            "reddit: sending User-Agent '%s'; Reddit asks for '%s (by /u/<user>)', naming "
            "the Reddit account that runs the app: set networks.reddit.contact_user (or "
            "networks.reddit.user_agent in that form)",
            agent,
            agent,
        )
        return agent
    return f"{agent} (by /u/{contact.group(1)})"


