"""Load and validate the configuration once: files, then environment, into typed values.

Layers, later wins: the packaged ``defaults.toml``; ``defaults.toml`` and ``settings.toml``
in the config directory (``--config DIR`` or ``SOCIAL_MONITOR_CONFIG_DIR``); environment
variables ``SOCIAL_MONITOR_<SECTION>__<KEY>``. The policy is ``policy.toml`` of the config
directory, or the packaged one. Every problem is reported with its file, key and what was
expected, and an unknown key gets a "did you mean" hint; so does an unknown
``SOCIAL_MONITOR_*`` variable. What is legal but probably a mistake (a config folder without
``policy.toml`` runs the bundled placeholder policy) is a warning in
:attr:`AppConfig.warnings`. A database URL or channel URL is never quoted (password, tokens).
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
from monitor.settings import ENV_PREFIX, Secrets, Settings, masked_url

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
    # Legal but probably a mistake (the placeholder policy in use, ...): shown by
    # `config check` and logged by the daemon at start.
    warnings: tuple[ConfigProblem, ...] = ()
    # The policy in use is the bundled example (Example Corp, Project Falcon).
    placeholder_policy: bool = False


# Variables read outside the settings model: the config and secrets folders, and the test
# and benchmark tools' own (never read by the service).
OTHER_VARIABLES = frozenset({"CONFIG_DIR", "SECRETS_DIR", "SHARED", "TEST_PG", "BENCH_PG",
                             "SCREENSHOTS"})
# Keys whose values can hold credentials: never quoted in a problem.
_SECRET_VALUED = ("database_url", "urls")


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


def setting_help(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The declared help of the setting at ``loc`` ("" when it has none)."""
    current: Any = model
    info = None
    for part in loc:
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return ""
        info = fields[part]
        current = info.annotation
    return (info.description or "") if info is not None else ""


def settings_rows(settings: BaseModel, prefix: str = "") -> list[dict[str, Any]]:
    """Every setting as ``{"key", "value", "help"}``, in declaration order (the database
    URL without its password)."""
    rows: list[dict[str, Any]] = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            rows += settings_rows(value, key + ".")
            continue
        if key.endswith("database_url") and isinstance(value, str) and value:
            value = masked_url(value)
        rows.append({"key": key, "value": value, "help": info.description or ""})
    return rows


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
        elif key.endswith("database_url") and isinstance(err.get("input"), str):
            message = f"{_message(err)} (got {masked_url(err['input'])!r})"
        elif any(key.endswith(name) for name in _SECRET_VALUED):
            message = _message(err)
        else:
            message = f"{_message(err)} (got {err.get('input')!r})"
        if help_text := setting_help(model, loc):
            message += f". This setting: {help_text}"
        out.append(ConfigProblem(source, key, message))
    return out


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _known_variables() -> dict[str, str]:
    """Every SOCIAL_MONITOR_* name the program reads, upper case without the prefix."""
    names = {n: n for n in OTHER_VARIABLES}
    names.update({f.upper(): f.upper() for f in Secrets.model_fields})

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            full = f"{prefix}{name.upper()}"
            names[full] = full
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, full + "__")

    walk(Settings, "")
    return names


def unknown_variables(environ: dict[str, str] | None = None) -> list[ConfigProblem]:
    """A problem per ``SOCIAL_MONITOR_*`` variable that nothing reads (a typo, most likely),
    with a "did you mean" from the names that are read. Values are never shown."""
    env = os.environ if environ is None else environ
    known = _known_variables()
    out = []
    for name in sorted(env):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX):].upper()
        if rest in known:
            continue
        close = difflib.get_close_matches(rest, list(known), n=1, cutoff=0.75)
        hint = (f"; did you mean {ENV_PREFIX}{close[0]}?" if close
                else f"; settings are {ENV_PREFIX}<SECTION>__<KEY>, see config/defaults.toml")
        out.append(ConfigProblem(f"environment {name}", "", "unknown variable" + hint))
    return out


def _channel_problems(urls: list[str], source: str) -> list[ConfigProblem]:
    """Each apprise URL that apprise cannot read, by position and scheme (URLs hold tokens)."""
    urls = [u.strip() for u in urls if u.strip()]
    if not urls:
        return []
    import logging
    import warnings

    quiet = logging.getLogger("apprise")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False  # its lines quote the URL
    with warnings.catch_warnings():
        # apprise's plugin loader imports the deprecated imghdr module once.
        warnings.filterwarnings("ignore", message=".*imghdr.*", category=DeprecationWarning)
        import apprise

        # No plugins from the home folder, nothing persisted on disk.
        asset = apprise.AppriseAsset(plugin_paths=[], storage_mode="memory")
        readable = [apprise.Apprise.instantiate(u, asset=asset, suppress_exceptions=True)
                    is not None for u in urls]
    out = []
    for n, (url, ok) in enumerate(zip(urls, readable, strict=True), 1):
        if not ok:
            scheme = url.split("://", 1)[0] if "://" in url else ""
            what = f"scheme {scheme[:20]!r} unknown or URL incomplete" if scheme else "no scheme://"
            out.append(ConfigProblem(source, "channels.urls",
                                     f"URL {n} of {len(urls)} is not an apprise URL ({what}; "
                                     "expected e.g. slack://..., mailto://..., ntfy://...)"))
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


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
    warnings: list[ConfigProblem] = []
    if config_dir is not None and not any(
        (config_dir / name).exists()
        for name in ("settings.toml", "defaults.toml", "policy.toml", "lexicons")
    ):
        problems.append(ConfigProblem(
            str(config_dir), "", "empty config folder: expected policy.toml (the company's "
            "policy; start from a copy of the bundled config/policy.toml) and optionally "
            "settings.toml"))
    problems.extend(unknown_variables())

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
    placeholder = policy_file == packaged / "policy.toml"
    if placeholder and config_dir is not None:
        warnings.append(ConfigProblem(
            str(config_dir), "policy.toml", "missing: running the BUNDLED PLACEHOLDER POLICY "
            "(Example Corp, Project Falcon), which knows none of your company's names, "
            "clients or code names; copy config/policy.toml there and edit it"))
    elif not placeholder and _same_file(policy_file, packaged / "policy.toml"):
        placeholder = True
        warnings.append(ConfigProblem(
            str(policy_file), "", "unchanged copy of the BUNDLED PLACEHOLDER POLICY (Example "
            "Corp, Project Falcon): put your company's names, clients and code names in it"))
    policy: Policy | None = None
    policy_values = _read_toml(policy_file, problems)
    try:
        policy = Policy(**policy_values)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, Policy, {}, str(policy_file)))

    secrets_dir = os.environ.get(ENV_PREFIX + "SECRETS_DIR")
    secrets: Secrets | None = None
    try:
        secrets = Secrets(_secrets_dir=secrets_dir) if secrets_dir else Secrets()
    except ValidationError as exc:
        problems.extend(_problems_from(exc, Secrets, {}, "environment"))
    source = origin.get("channels.urls", str(defaults_file))
    if settings is not None and source != "overrides":
        # Operators' URLs (files, environment) are checked here; ``overrides`` come from
        # code (the demo, tests), and the outbox still refuses a bad URL when sending.
        problems.extend(_channel_problems(list(settings.channels.urls), source))
    if secrets is not None and secrets.channel_urls is not None:
        problems.extend(_channel_problems(secrets.channel_urls.get_secret_value().split(),
                                          f"environment {ENV_PREFIX}CHANNEL_URLS"))

    lexicon_dir = user_dir / "lexicons"
    if not lexicon_dir.is_dir():
        lexicon_dir = packaged / "lexicons"

    if (settings is not None and secrets is not None and secrets.secret_key is None
            and not settings.storage.url().startswith("sqlite")):
        warnings.append(ConfigProblem(
            f"environment {ENV_PREFIX}SECRET_KEY", "", "unset: this data folder makes its own "
            "link-signing key, so links e-mailed by another machine or container on the same "
            "database do not open here; give every machine the same key"))
    if problems or settings is None or policy is None or secrets is None:
        raise ConfigError(problems)
    return AppConfig(settings, policy, secrets, user_dir, lexicon_dir, tuple(warnings),
                     placeholder)
