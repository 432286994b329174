"""Erasure of stored content: opt-out, unlink, retention. One place, explicit deletes."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.models import Alert, Finding, Post, Review


def erase_posts(session: Session, post_ids: Sequence[int]) -> None:
    """Delete posts with their findings, reviews and alerts (children first)."""
    if not post_ids:
        return
    finding_ids = select(Finding.id).where(col(Finding.post_id).in_(post_ids))
    session.execute(sa.delete(Review).where(col(Review.finding_id).in_(finding_ids)))
    session.execute(sa.delete(Alert).where(col(Alert.finding_id).in_(finding_ids)))
    session.execute(sa.delete(Finding).where(col(Finding.post_id).in_(post_ids)))
    session.execute(sa.delete(Post).where(col(Post.id).in_(post_ids)))


def erase_accounts(session: Session, account_ids: Sequence[int]) -> None:
    if not account_ids:
        return
    post_ids = list(session.exec(select(Post.id).where(col(Post.account_id).in_(account_ids))))
    erase_posts(session, [p for p in post_ids if p is not None])
