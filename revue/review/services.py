"""Decisions and reviews: writes."""

from __future__ import annotations

import logging

from flask import has_request_context, request

from .. import activity
from ..accounts.models import User
from ..assets.models import AssetVersion
from ..db import db
from ..errors import Conflict, DomainError
from . import status
from .models import Channel, Decision, Verdict

log = logging.getLogger(__name__)


def _client() -> tuple[str, str]:
    if not has_request_context():
        return "", ""
    return request.remote_addr or "", (request.user_agent.string or "")[:300]


def record_approval(member: User, version: AssetVersion, note: str) -> Decision:
    """A member records an approval given outside Revue (phone, letter): note required."""
    note = note.strip()
    if not note:
        raise DomainError("Say how and by whom the approval was given.")
    asset = version.asset
    if version.deleted_at is not None or asset.current_version_id != version.id:
        raise Conflict(f"{version.label} is not the current version of “{asset.title}” any more.")
    ip, agent = _client()
    decision = Decision(
        version_id=version.id, asset_id=asset.id, verdict=Verdict.APPROVED, channel=Channel.RECORDED,
        note=note, user_id=None, recorded_by_id=member.id, reviewer_name=member.name,
        reviewer_email=member.email, identified_by="recorded", file_sha256=version.sha256, ip=ip,
        user_agent=agent,
    )
    db.session.add(decision)
    db.session.flush()
    status.refresh(asset)
    activity.record("decision.recorded", actor=member, subject=decision, project_id=asset.project_id,
                    version_id=version.id, verdict=decision.verdict.value, sha256=version.sha256)
    return decision
