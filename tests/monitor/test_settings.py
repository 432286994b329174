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


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "nonsense://x",
         "storage.database_url: unknown database dialect 'nonsense'"),
        ("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "mysql://u:hunter2@db/monitor",
         "storage.database_url: database 'mysql' is not supported"),
        ("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "postgresql+psycopg2://u:hunter2@db/m",
         "storage.database_url: database driver 'psycopg2' is not supported"),
        ("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "::hunter2::", "not a database URL"),
        ("SOCIAL_MONITOR_REVIEW__BASE_URL", "not-a-url",
         "review.base_url: expected the review page's public http(s) address"),
        ("SOCIAL_MONITOR_REVIEW__BASE_URL", "ftp://monitor.corp.example",
         "review.base_url: expected the review page's public http(s) address"),
        ("SOCIAL_MONITOR_POLLNG__WORKERS", "3",
         "environment SOCIAL_MONITOR_POLLNG__WORKERS: unknown variable; "
         "did you mean SOCIAL_MONITOR_POLLING__WORKERS?"),
        ("SOCIAL_MONITOR_SMTP_PASWORD", "hunter2",
         "did you mean SOCIAL_MONITOR_SMTP_PASSWORD?"),
        ("SOCIAL_MONITOR_CHANNEL_URLS", "json://localhost/ok slakc://hunter2/x",
         "environment SOCIAL_MONITOR_CHANNEL_URLS: channels.urls: URL 2 of 2 is not an "
         "apprise URL"),
    ],
)
def test_start_up_refuses_what_config_check_reports(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as err:
        load_config()
    text = "\n".join(str(p) for p in err.value.problems)
    assert expected in text
    assert "hunter2" not in text  # passwords and tokens are never quoted


def test_database_password_is_masked_in_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "mysql://u:hunter2@db/m")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "mysql://u:***@db/m" in str(err.value)


def test_supported_database_urls_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'x.db'}", "postgresql+psycopg://u:pw@db/monitor",
                "postgresql://u@db/monitor"):
        monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATABASE_URL", url)
        assert load_config().settings.storage.database_url == url


def test_unreadable_channel_url_in_settings_names_file_not_url(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('[channels]\nurls = ["nope-hunter2"]\n')
    (tmp_path / "policy.toml").write_text((packaged_config_dir() / "policy.toml").read_text())
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    [problem] = err.value.problems
    assert problem.source == str(tmp_path / "settings.toml")
    assert problem.key == "channels.urls" and "URL 1 of 1 is not an apprise URL" in problem.message
    assert "hunter2" not in str(problem)


def test_tool_variables_are_not_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOCIAL_MONITOR_SHARED", "SOCIAL_MONITOR_TEST_PG", "SOCIAL_MONITOR_SECRET_KEY",
                 "SOCIAL_MONITOR_NETWORKS__X__API_BASE_URL", "SOCIAL_MONITOR_SECRETS_DIR"):
        monkeypatch.setenv(name, "https://x.example" if "URL" in name else "/tmp")
    load_config()


def test_empty_config_folder_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "empty config folder: expected policy.toml" in str(err.value)


def test_config_folder_without_policy_warns_of_the_placeholder(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[smtp]\nport = 2525\n")
    cfg = load_config(tmp_path)
    assert cfg.placeholder_policy
    [warning] = cfg.warnings
    assert warning.key == "policy.toml"
    assert "BUNDLED PLACEHOLDER POLICY (Example Corp, Project Falcon)" in warning.message


def test_config_folder_with_its_policy_has_no_warning(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        "# Our policy\n" + (packaged_config_dir() / "policy.toml").read_text())
    cfg = load_config(tmp_path)
    assert not cfg.placeholder_policy and cfg.warnings == ()


def test_an_unchanged_copy_of_the_placeholder_policy_warns(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_bytes((packaged_config_dir() / "policy.toml").read_bytes())
    cfg = load_config(tmp_path)
    assert cfg.placeholder_policy
    [warning] = cfg.warnings
    assert "unchanged copy of the BUNDLED PLACEHOLDER POLICY" in warning.message


def test_postgresql_without_a_shared_secret_key_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIAL_MONITOR_STORAGE__DATABASE_URL", "postgresql+psycopg://u@db/m")
    [warning] = load_config().warnings
    assert warning.source == "environment SOCIAL_MONITOR_SECRET_KEY"
    assert "give every machine the same key" in warning.message
    monkeypatch.setenv("SOCIAL_MONITOR_SECRET_KEY", "k" * 32)
    assert load_config().warnings == ()
