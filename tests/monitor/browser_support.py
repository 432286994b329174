"""Debian's chromium driven by Playwright, for the tests that look at pages and e-mails."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots go to a temporary folder, or to $SOCIAL_MONITOR_SCREENSHOTS.
SCREENSHOTS = Path(
    os.environ.get("SOCIAL_MONITOR_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "social-monitor-screenshots"
)
SCREENSHOTS.mkdir(parents=True, exist_ok=True)

NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium; .ci/run installs it)"),
]
