"""Settings: the defaults file and the model agree; bad config gives clear problems."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from monitor.config import load_config, packaged_config_dir
from monitor.errors import ConfigError
from monitor.settings import Settings


def _flatten_model(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_flatten_model(ann, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = field.default
    return out


def _flatten_toml(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten_toml(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_defaults_file_and_model_declare_the_same_keys_and_defaults() -> None:
    defaults_file = packaged_config_dir() / "defaults.toml"
    in_file = _flatten_toml(tomllib.loads(defaults_file.read_text()))
    in_model = _flatten_model(Settings)
    assert sorted(in_file) == sorted(in_model)
    for key, value in in_file.items():
        model_value = in_model[key]
        if isinstance(model_value, Path):
            model_value = str(model_value)
        assert model_value == value, key


def test_every_default_has_a_comment() -> None:
    lines = (packaged_config_dir() / "defaults.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), f"no comment above: {line}"


def test_environment_overrides_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP__PORT", "2525")
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP_PASSWORD", "s3cret")
    cfg = load_config()
    assert cfg.settings.smtp.port == 2525
    assert cfg.secrets.smtp_password is not None
    assert cfg.secrets.smtp_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(cfg)


@pytest.mark.parametrize(
    ("settings_toml", "expected"),
    [
        ("[smtp]\nprot = 25\n", ["settings.toml: smtp.prot: unknown key; did you mean 'port'?"]),
        ("[smtp]\nport = 'many'\n", ["settings.toml: smtp.port: Input should be a valid integer"]),
        ("[smpt]\nport = 25\n", ["settings.toml: smpt: unknown key; did you mean 'smtp'?"]),
        ("[polling]\nworkers = 0\n", ["polling.workers: Input should be greater than or equal"]),
        ("[smtp\n", ["settings.toml: not valid TOML"]),
    ],
)
def test_bad_settings_name_file_key_and_expectation(
    tmp_path: Path, settings_toml: str, expected: list[str]
) -> None:
    (tmp_path / "settings.toml").write_text(settings_toml)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    text = "\n".join(str(p) for p in err.value.problems)
    for fragment in expected:
        assert fragment in text


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[smtp]\nprot = 1\n[review]\nport = -1\n")
    (tmp_path / "policy.toml").write_text("[thresholds]\nalert = 0.4\ndigest = 0.6\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    keys = {p.key for p in err.value.problems}
    assert {"smtp.prot", "review.port"} <= keys
    assert any("digest threshold" in p.message for p in err.value.problems)


def test_policy_without_rule_texts_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text("[thresholds]\nalert = 0.8\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "rules 1, 4, 5 need a title and plain text" in str(err.value)


def test_unknown_policy_category_is_an_error(tmp_path: Path) -> None:
    policy = (packaged_config_dir() / "policy.toml").read_text()
    (tmp_path / "policy.toml").write_text(policy.replace('digest_only = ["legal"]',
                                                         'digest_only = ["legall"]'))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "unknown category 'legall'" in str(err.value)


def test_env_problem_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_SMTP__PORT", "nope")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "environment SOCIAL_MONITOR_SMTP__PORT" in str(err.value)
