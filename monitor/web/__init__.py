"""The self-review web page (FastAPI, server-rendered Jinja2). See :func:`create_app`."""

from monitor.web.app import create_app

__all__ = ["create_app"]
