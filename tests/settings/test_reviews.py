"""Settings → Reviews: verified decisions, hidden decision buttons, reminder timing."""

from revue.db import db
from revue.settings.models import Workspace


def test_admin_turns_on_verified_decisions_and_hides_a_button(client, owner, login, app_ctx):
    login(client, owner)
    assert client.get("/settings/reviews").status_code == 200
    answer = client.post("/settings/reviews", data={"verified_decisions": "1", "hide_rejected": "1",
                                                    "remind_before_days": "2", "remind_every_days": "3"})
    assert answer.status_code == 303
    options = db.session.scalar(db.select(Workspace)).options
    assert options["verified_decisions"] is True
    assert options["hidden_verdicts"] == ["rejected"]
    assert (options["remind_before_days"], options["remind_every_days"]) == (2, 3)


def test_nonsense_reminder_days_are_refused_and_nothing_changes(client, owner, login, app_ctx):
    login(client, owner)
    answer = client.post("/settings/reviews", data={"remind_before_days": "-1", "remind_every_days": "0"})
    assert answer.status_code == 422
    assert "days before due" in answer.get_data(as_text=True)
    assert not (db.session.scalar(db.select(Workspace)).options or {}).get("remind_every_days")


def test_members_may_not_change_review_settings(client, create_user, login):
    member = create_user("member")
    login(client, member)
    assert client.get("/settings/reviews").status_code == 403
    assert client.post("/settings/reviews", data={"verified_decisions": "1"}).status_code == 403
