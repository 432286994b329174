"""Compliance-view links: made and revoked by the operator, checked on every request.

A link carries a signed token with purpose ``compliance`` that expires like any review link
(``review.link_ttl_hours``). Making one records the SHA-256 of its nonce in
``compliance_link`` (never the token); a link whose nonce is not recorded, or whose row is
revoked, opens nothing. Making and revoking links are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.alerts.links import make_token, read_token
from monitor.config import AppConfig
from monitor.errors import BadInput, BadLink, NotFound
from monitor.review.signin import nonce_hash
from monitor.storage import audit
from monitor.storage.db import session_scope
from monitor.storage.models import ComplianceLinkRow

PURPOSE = "compliance"


@dataclass(frozen=True)
class IssuedLink:
    id: int
    url: str


@dataclass(frozen=True)
class LinkInfo:
    id: int
    created_at: datetime | None
    revoked_at: datetime | None
    status: str  # active | revoked | expired


def create_link(engine: Engine, config: AppConfig, now: datetime, actor: str = "cli"
                ) -> IssuedLink:
    """A fresh compliance link; its nonce hash is recorded and the making is audited."""
    token = make_token(config, 0, PURPOSE)
    _, nonce = read_token(config, token, PURPOSE)
    with session_scope(engine) as session:
        row = ComplianceLinkRow(nonce_hash=nonce_hash(PURPOSE, nonce), created_at=now)
        session.add(row)
        session.flush()
        link_id = row.id or 0
        audit.record(session, actor, "compliance.link_created", f"compliance_link:{link_id}",
                     at=now)
    base = config.settings.review.base_url.rstrip("/")
    return IssuedLink(link_id, f"{base}/compliance?token={token}")


def list_links(engine: Engine, config: AppConfig, now: datetime) -> list[LinkInfo]:
    hours = config.settings.review.link_ttl_hours
    out = []
    with session_scope(engine) as session:
        for row in session.exec(select(ComplianceLinkRow).order_by(col(ComplianceLinkRow.id))):
            if row.revoked_at is not None:
                status = "revoked"
            elif (row.created_at is not None
                  and (now - row.created_at).total_seconds() > hours * 3600):
                status = "expired"
            else:
                status = "active"
            out.append(LinkInfo(row.id or 0, row.created_at, row.revoked_at, status))
    return out


def revoke_links(engine: Engine, ids: Sequence[int], every: bool, now: datetime,
                 actor: str = "cli") -> list[int]:
    """Revoke the given links (or every one not yet revoked); return the ids revoked now.

    Raises BadInput when neither ids nor ``every`` is given, NotFound for an unknown id.
    """
    if not ids and not every:
        raise BadInput("give a link ID or --all (see `compliance-link list`)")
    query = select(ComplianceLinkRow).where(col(ComplianceLinkRow.revoked_at).is_(None))
    revoked = []
    with session_scope(engine) as session:
        if not every:
            known = set(session.exec(
                select(ComplianceLinkRow.id).where(col(ComplianceLinkRow.id).in_(ids))))
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFound(f"no compliance link {missing[0]}; see `compliance-link list`")
            query = query.where(col(ComplianceLinkRow.id).in_(ids))
        for row in session.exec(query):
            row.revoked_at = now
            session.add(row)
            revoked.append(row.id or 0)
            audit.record(session, actor, "compliance.link_revoked", f"compliance_link:{row.id}",
                         at=now)
    return sorted(revoked)


def live_link(engine: Engine, config: AppConfig, token: str) -> int:
    """The id of the recorded, unrevoked link this token belongs to. Raises BadLink."""
    _, nonce = read_token(config, token, PURPOSE)
    with session_scope(engine) as session:
        row = session.exec(select(ComplianceLinkRow).where(
            ComplianceLinkRow.nonce_hash == nonce_hash(PURPOSE, nonce))).first()
        if row is None:
            raise BadLink("this link is not valid")
        if row.revoked_at is not None:
            raise BadLink("this link has been revoked")
        return row.id or 0
