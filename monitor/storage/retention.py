"""Retention: purge post text after its period, resolved flags after theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.config import AppConfig
from monitor.storage import audit
from monitor.storage.db import session_scope
from monitor.storage.erase import erase_posts
from monitor.storage.models import FindingRow, PostRow


@dataclass(frozen=True)
class PurgeReport:
    texts_purged: int
    resolved_flags_deleted: int


def purge(engine: Engine, app: AppConfig, now: datetime) -> PurgeReport:
    r = app.settings.retention
    text_cutoff = now - timedelta(days=r.post_text_days)
    flag_cutoff = now - timedelta(days=r.resolved_flag_days)
    with session_scope(engine) as session:
        texts = session.execute(
            sa.update(PostRow)
            .where(col(PostRow.fetched_at) < text_cutoff, col(PostRow.text).is_not(None))
            .values(text=None)
        ).rowcount  # type: ignore[attr-defined]
        old = session.exec(
            select(FindingRow.id).where(
                FindingRow.status == "resolved", col(FindingRow.resolved_at) < flag_cutoff
            )
        ).all()
        flags = len(old)
        if old:
            session.execute(sa.delete(FindingRow).where(col(FindingRow.id).in_(old)))
        # Posts with no text and no findings left carry nothing worth keeping.
        bare = session.exec(
            select(PostRow.id).where(
                col(PostRow.text).is_(None),
                ~sa.exists().where(col(FindingRow.post_id) == col(PostRow.id)),
            )
        ).all()
        erase_posts(session, [i for i in bare if i is not None])
        audit.record(session, "retention", "retention.purge", "",
                     f"texts={texts} resolved_flags={flags}", at=now)
    return PurgeReport(texts, flags)
