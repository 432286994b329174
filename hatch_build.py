"""Build hook: compiles the wording model's kernel (classifiers/kernel/*.c) when the package
is installed, so ``pip install .`` and ``pip install -e .`` both score with it.

It needs only a C compiler and Python's headers (no numpy headers). Without them the
install goes on with a warning and the package scores with the same arithmetic in Python
(``classifiers.harmful_kernel``), slower. An editable install builds the module beside
its source; a wheel carries it and is tagged for this interpreter and platform.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = Path("classifiers") / "kernel"
MODULE = "_harmful_kernel"


def compile_kernel(sources: Path, target: Path) -> str | None:
    """Compile the C files in the folder ``sources`` into the extension module ``target``;
    None, or why it failed."""
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    if shutil.which(compiler[0]) is None:
        return f"no C compiler ({compiler[0]}) on PATH"
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        return f"Python's headers are missing ({include}/Python.h)"
    files = sorted(str(f) for f in sources.glob("*.c"))
    if not files:
        return f"no C files in {sources}"
    # No -ffast-math: the kernel must give the same values as its Python form.
    command = [
        *compiler, "-O3", "-fPIC", "-shared", "-std=c11", "-Wall", "-fvisibility=hidden",
        f"-I{include}", *files, "-o", str(target), "-lm",
    ]  # fmt: skip
    target.unlink(missing_ok=True)  # a stale module must not outlive a failed build
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:  # a compiler that cannot run at all
        return f"{shlex.join(command)} could not run: {exc}"
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        return f"{shlex.join(command)} failed:\n{done.stderr.strip()}"
    return None


class KernelBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        name = MODULE + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
        if version == "editable":
            target = root / "classifiers" / name
        else:
            target = Path(tempfile.mkdtemp(prefix="social-monitor-kernel-")) / name
        why = compile_kernel(root / SOURCES, target)
        if why is not None:
            if version != "editable":
                shutil.rmtree(target.parent, ignore_errors=True)
            print(
                f"warning: the wording model's compiled kernel was not built ({why}); "
                "scoring falls back to Python, about half as fast",
                file=sys.stderr,
            )
            return
        if version != "editable":
            build_data["force_include"][os.fspath(target)] = f"classifiers/{name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
            self._built = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        built = getattr(self, "_built", None)
        if built is not None:  # the wheel holds its copy now
            shutil.rmtree(built.parent, ignore_errors=True)
