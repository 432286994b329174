"""Alembic environment: run with a connection handed in by ``monitor.storage.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import monitor.storage.models  # noqa: F401  (registers the tables on the metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through monitor.storage.migrate
    raise RuntimeError("run migrations through `social-monitor db upgrade`")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
