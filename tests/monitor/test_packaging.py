"""`pip install .` (not only editable) ships config/ inside the wheel."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_contains_packages_config_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True, timeout=300, capture_output=True,
    )
    [wheel] = tmp_path.glob("social_monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "monitor/_config/defaults.toml",
        "monitor/_config/policy.toml",
        "monitor/_config/demo/employees.toml",
        "monitor/storage/migrations/versions/0001_initial_schema.py",
        "monitor/alerts/templates/alert.html.j2",
        "connectors/base.py",
        "classifiers/base.py",
    ):
        assert required in names, required
    assert not any(n.startswith("tests/") for n in names)
    # the loopback fake API is a test double: never installed
    assert not any(n.startswith("testing/") or "fake_api" in n for n in names)
    # hatch_build.py compiled the wording model's kernel into it, tagged for this platform
    if shutil.which(shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0]):
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        assert f"classifiers/_harmful_kernel{suffix}" in names
        assert "-none-any" not in wheel.name
