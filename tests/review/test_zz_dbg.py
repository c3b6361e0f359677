from revue.db import db
from .test_viewer import guest_browser  # noqa

def test_dbg(shared, guest_browser, count_queries):
    from revue.links.models import ReviewLink
    from revue.links import services
    from revue.assets.models import Asset
    from sqlalchemy import select, event
    link = db.session.scalar(select(ReviewLink))
    print("LINKASSETS", link.assets)
    a = db.session.get(Asset, 1)
    stmts = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, s, p, *a: stmts.append((s, p)))
    print("RV", services.reviewable_version(a))
    for s in stmts: print("SQL", s)
