"""The viewer: one version with its pins and comments, for signed-in people (guests: links feature)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..assets.access import can_see_version, version_for
from ..assets.models import AssetVersion
from ..comments import attachments
from ..comments import services as comment_services
from ..db import db
from ..http_files import content_disposition
from ..rendering import render
from . import bp, engine, threads
from .models import Decision, Review, ReviewStatus

ATTACH_LIMITS = {"max_files": attachments.MAX_FILES, "max_mb": attachments.MAX_MB,
                 "accept": attachments.ACCEPT_ATTRIBUTE}


def locked(version: AssetVersion) -> bool:
    return bool(db.session.scalar(select(Review.id).where(Review.version_id == version.id, Review.locked,
                                                         Review.status == ReviewStatus.APPROVED).limit(1)))


def viewer_context(version: AssetVersion, who, *, urls: dict) -> dict:
    """Everything the viewer templates need; ``urls`` names the endpoints for this kind of visitor."""
    comments = threads.threads(version, who)
    asset = version.asset
    versions = [v for v in asset.versions if v.deleted_at is None and can_see_version(who, v)] \
        if getattr(who, "is_user", False) else [version]
    previous, checklist = (None, [])
    if getattr(who, "is_agency", False) and version.id == asset.current_version_id:
        previous, checklist = threads.previous_open(version, who)
    review = engine.latest_review_of(version)
    decisions = list(db.session.scalars(select(Decision).where(Decision.version_id == version.id)
                                        .order_by(Decision.created_at, Decision.id)))
    if not getattr(who, "is_agency", False):
        internal = {s.id for s in review.stages if s.internal} if review else set()
        decisions = [d for d in decisions if d.stage_id not in internal]
    decision = seat = None
    if getattr(who, "is_user", False):
        seat = engine.seat_of(version, who)
        if seat is not None:
            from ..links.emailed import decision_state

            decision = decision_state(seat, version)
            decision["needs_code"] = False  # signed in: the account identifies the reviewer
    return {
        "review": review, "decisions": decisions, "decision": decision, "seat": seat,
        "version": version, "asset": asset, "project": asset.project, "versions": versions,
        "comments": comments, "counts": threads.comment_counts(comments), "stamp": threads.stamp(version, who),
        "who": who, "urls": urls, "locked": locked(version), "previous": previous, "checklist": checklist,
        "attach_limits": ATTACH_LIMITS,
        "mention_people": comment_services.mentionable(version, who) if getattr(who, "is_user", False) else [],
        "pages": sorted((r for r in version.renditions if r.name.startswith("page-") and not r.name.endswith("-thumb")),
                        key=lambda r: int(r.name.split("-")[1])),
    }


def member_urls(version: AssetVersion) -> dict:
    comment_base = url_for("review.comment_action", comment_id=0, action="reply").rsplit("/", 2)[0]
    attachment_base = url_for("review.attachment", attachment_id=0, part="file").rsplit("/", 2)[0]
    return {
        "decide": url_for("review.decide", version_id=version.id),
        "code": None,
        "panel": url_for("review.panel", version_id=version.id),
        "add": url_for("review.add_comment", version_id=version.id),
        "rendition": lambda name: url_for("assets.rendition", version_id=version.id, name=name),
        "media": url_for("assets.media", version_id=version.id),
        "original": url_for("assets.original", version_id=version.id),
        "version": lambda v: url_for("review.viewer", version_id=v.id),
        "comment": lambda c, action: f"{comment_base}/{c.id}/{action}",
        "attachment": lambda a, part: f"{attachment_base}/{a.id}/{part}",
        "back": url_for("projects.show", project_id=version.asset.project_id),
        "export": url_for("review.export_csv", version_id=version.id),
        "print": url_for("review.print_view", version_id=version.id),
    }


@bp.get("/versions/<int:version_id>")
@login_required
def viewer(version_id: int):
    version = version_for(current_user, version_id)
    context = viewer_context(version, current_user, urls=member_urls(version))
    response = render("review/viewer.html", **context)
    if context["seat"] is not None and context["seat"].opened_at is None:
        engine.mark_opened(context["seat"].id)
    return response


@bp.get("/versions/<int:version_id>/panel")
@login_required
def panel(version_id: int):
    """The comment panel and pins; answers 204 while nothing changed since ``stamp``."""
    version = version_for(current_user, version_id)
    if request.args.get("stamp") and request.args["stamp"] == threads.stamp(version, current_user):
        return Response(status=204)
    return render("review/_panel.html", "review/_panel.html",
                  **viewer_context(version, current_user, urls=member_urls(version)), oob=True)


@bp.get("/versions/<int:version_id>/comments.csv")
@login_required
def export_csv(version_id: int):
    version = version_for(current_user, version_id)
    return comments_csv(version, current_user)


def comments_csv(version: AssetVersion, who) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["#", "Thread", "Author", "Written (UTC)", "Status", "Page", "Time (s)", "X", "Y", "Comment"])
    for comment in threads.threads(version, who):
        rows = [comment] + [r for r in comment.replies if r.deleted_at is None]
        for item in rows:
            anchor = comment.anchor or {}
            writer.writerow([safe_cell(f"{'T' if comment.internal else ''}{comment.number}"),
                             "reply" if item.parent_id else "comment",
                             safe_cell(item.author_name), item.created_at.strftime("%Y-%m-%d %H:%M"),
                             "resolved" if comment.resolved_at else "open", anchor.get("page", ""),
                             anchor.get("t", ""), anchor.get("x", ""), anchor.get("y", ""),
                             safe_cell("(deleted)" if item.deleted_at else item.body)])
    name = f"{version.asset.title}-{version.label}-comments.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition("attachment", name)
    return response


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (G6)."""
    if value and value[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/versions/<int:version_id>/print")
@login_required
def print_view(version_id: int):
    version = version_for(current_user, version_id)
    context = viewer_context(version, current_user, urls=member_urls(version))
    if version.kind.value not in ("image", "pdf", "video", "audio", "other"):
        abort(404)
    return render("review/print.html", **context)
