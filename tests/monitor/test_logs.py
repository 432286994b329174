"""Structured logs: one JSON object a line, extra fields kept, secrets masked."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from monitor.service import logs
from monitor.settings import Secrets


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("monitor.test", logging.WARNING, __file__, 1, msg, (), None)
    record.__dict__.update(extra)
    return record


def test_json_line_carries_message_level_and_extra_fields() -> None:
    line = logs.JsonFormatter().format(_record("poll failed", account_id=7, network="x",
                                              retry=True))
    entry = json.loads(line)
    assert entry["msg"] == "poll failed" and entry["level"] == "WARNING"
    assert entry["logger"] == "monitor.test"
    assert (entry["account_id"], entry["network"], entry["retry"]) == (7, "x", True)
    assert entry["ts"].endswith("+00:00")


@pytest.mark.parametrize("fmt", [logs.JsonFormatter, logs.TextFormatter])
def test_secret_values_are_masked_everywhere(fmt: type[logs.JsonFormatter]) -> None:
    secrets = Secrets(x_bearer_token=SecretStr("AAAA-very-secret"),
                      smtp_password=SecretStr("hunter22"))
    formatter = fmt(logs.secret_values(secrets))
    try:
        raise ValueError("the server said: bad token AAAA-very-secret")
    except ValueError:
        record = _record("login with hunter22 failed", detail="hunter22")
        record.exc_info = sys.exc_info()
    out = formatter.format(record)
    assert "AAAA-very-secret" not in out and "hunter22" not in out
    assert logs.MASK in out


def test_configure_sends_json_to_the_stream(restore_root: None) -> None:
    stream = io.StringIO()
    logs.configure("INFO", "json", Secrets(), stream=stream)
    logging.getLogger("monitor.polling").info("polled account", extra={"account_id": 3})
    logging.getLogger("monitor.polling").debug("not shown")
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["account_id"] for line in lines] == [3]


SECRET_TEXT = "our client Acme Corp signed the Falcon deal, do not share"


def _database_error(db_url: str) -> BaseException:
    """A real error from the real database, about a row holding post text: the same
    (account, native id) stored twice, the second time with a text too long for the id."""
    import sqlalchemy as sa

    from monitor.storage.db import make_engine

    engine = make_engine(db_url)
    table = sa.Table("t_log", sa.MetaData(), sa.Column("native_id", sa.String(16), unique=True),
                     sa.Column("text", sa.Text))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), {"native_id": SECRET_TEXT[:16], "text": SECRET_TEXT})
            conn.execute(table.insert(), {"native_id": SECRET_TEXT[:16], "text": SECRET_TEXT})
    except sa.exc.DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the database accepted a duplicate")


@pytest.mark.parametrize("fmt", [logs.JsonFormatter, logs.TextFormatter])
def test_a_database_error_never_brings_post_text_into_a_log_line(
    db_url: str, fmt: type[logs.JsonFormatter]
) -> None:
    exc = _database_error(db_url)
    try:
        raise RuntimeError("store failed") from exc
    except RuntimeError:
        record = logging.LogRecord("monitor.test", logging.ERROR, __file__, 1, "poll failed",
                                   (), sys.exc_info())
    line = fmt().format(record)
    assert "IntegrityError" in line and "Traceback" in line
    # neither the bound parameters nor PostgreSQL's DETAIL quoting the key
    assert SECRET_TEXT[:16] not in line and "Acme" not in line


def test_redact_error_keeps_the_kind_and_drops_quoted_values(db_url: str) -> None:
    text = logs.redact_error(_database_error(db_url))
    assert text.startswith("IntegrityError")
    assert "Acme" not in text and "[SQL" not in text
