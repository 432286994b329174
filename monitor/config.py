"""Load and validate the configuration once: files, then environment, into typed values.

Layers, later wins: the packaged ``defaults.toml``; ``defaults.toml`` and ``settings.toml``
in the config directory (``--config DIR`` or ``SOCIAL_MONITOR_CONFIG_DIR``); environment
variables ``SOCIAL_MONITOR_<SECTION>__<KEY>``. The policy is ``policy.toml`` of the config
directory, or the packaged one. Every problem is reported with its file, key and what was
expected, and an unknown key gets a "did you mean" hint.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.errors import ConfigError, ConfigProblem
from monitor.policy import Policy
from monitor.settings import ENV_PREFIX, Secrets, Settings

_HERE = Path(__file__).resolve().parent


def packaged_config_dir() -> Path:
    """``config/`` as installed: inside the wheel, or the repo's folder in a checkout."""
    for candidate in (_HERE / "_config", _HERE.parent / "config"):
        if (candidate / "defaults.toml").is_file():
            return candidate
    raise ConfigError([ConfigProblem("config/", "", "the packaged defaults.toml is missing")])


@dataclass(frozen=True)
class AppConfig:
    """Everything start-up validated, passed on to the parts that need it."""

    settings: Settings
    policy: Policy
    secrets: Secrets
    config_dir: Path
    lexicon_dir: Path


def _read_toml(path: Path, problems: list[ConfigProblem]) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.append(ConfigProblem(str(path), "", f"not valid TOML: {exc}"))
    except OSError as exc:
        problems.append(ConfigProblem(str(path), "", f"cannot read: {exc.strerror}"))
    return {}


def _merge(base: dict[str, Any], over: dict[str, Any], origin: dict[str, str], src: str,
           prefix: str = "") -> None:
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, src, dotted + ".")
        else:
            base[key] = value
            origin[dotted] = src


def _hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A "did you mean" for an unknown key at ``loc``, from the model's field names."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return ""
        current = fields[part].annotation
    names = list(getattr(current, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(names)}"


def _problems_from(exc: ValidationError, model: type[BaseModel], origin: dict[str, str],
                   default_src: str) -> list[ConfigProblem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        source = origin.get(key) or next(
            (src for k, src in origin.items() if key.startswith(k + ".") or k.startswith(key)),
            default_src,
        )
        if err["type"] == "extra_forbidden":
            message = "unknown key" + _hint(model, loc)
        else:
            message = f"{err['msg']} (got {err.get('input')!r})"
        out.append(ConfigProblem(source, key, message))
    return out


def _env_origin() -> dict[str, str]:
    origin = {}
    for name in os.environ:
        if name.startswith(ENV_PREFIX) and "__" in name:
            key = name[len(ENV_PREFIX):].lower().replace("__", ".")
            origin[key] = f"environment {name}"
    return origin


def load_config(
    config_dir: Path | None = None, overrides: dict[str, Any] | None = None
) -> AppConfig:
    """Read, merge and validate. Raises :class:`ConfigError` listing every problem.

    ``overrides`` (nested like the TOML) win over the files; the demo and tests use them.
    """
    problems: list[ConfigProblem] = []
    packaged = packaged_config_dir()
    if config_dir is None and os.environ.get(ENV_PREFIX + "CONFIG_DIR"):
        config_dir = Path(os.environ[ENV_PREFIX + "CONFIG_DIR"])
    if config_dir is not None and not config_dir.is_dir():
        raise ConfigError([ConfigProblem(str(config_dir), "", "config directory not found")])
    user_dir = config_dir or packaged

    origin: dict[str, str] = {}
    defaults_file = packaged / "defaults.toml"
    values = _read_toml(defaults_file, problems)
    for name in ("defaults.toml", "settings.toml"):
        path = user_dir / name
        if config_dir is not None and path.is_file():
            _merge(values, _read_toml(path, problems), origin, str(path))
    if overrides:
        _merge(values, overrides, origin, "overrides")
    origin.update(_env_origin())

    settings: Settings | None = None
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, Settings, origin, str(defaults_file)))

    policy_file = user_dir / "policy.toml"
    if not policy_file.is_file():
        policy_file = packaged / "policy.toml"
    policy: Policy | None = None
    policy_values = _read_toml(policy_file, problems)
    try:
        policy = Policy(**policy_values)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, Policy, {}, str(policy_file)))

    secrets_dir = os.environ.get(ENV_PREFIX + "SECRETS_DIR")
    try:
        secrets = Secrets(_secrets_dir=secrets_dir) if secrets_dir else Secrets()
    except ValidationError as exc:
        problems.extend(_problems_from(exc, Secrets, {}, "environment"))

    lexicon_dir = user_dir / "lexicons"
    if not lexicon_dir.is_dir():
        lexicon_dir = packaged / "lexicons"

    if problems or settings is None or policy is None:
        raise ConfigError(problems)
    return AppConfig(settings, policy, secrets, user_dir, lexicon_dir)
