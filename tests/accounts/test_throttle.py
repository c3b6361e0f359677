"""SECURITY A4: failed logins are throttled per account and per IP, in the database, never for good.

The clock fixture freezes the accounts' notion of now, so delays of a second are exact.
Defaults: 5 failures per account and 30 per IP within 15 minutes, then 1 s, 2 s, 4 s … delays.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revue.accounts.models import Throttle
from revue.db import db


@pytest.fixture
def fail_login(client):
    """``fail_login(email, ip=...)``: one login attempt with a wrong password; returns the response."""

    def attempt(email: str, ip: str = "198.51.100.1"):
        return client.post("/account/login", data={"email": email, "password": "wrong guess"},
                           environ_base={"REMOTE_ADDR": ip})

    return attempt


@pytest.fixture
def throttles(app_ctx):
    def rows() -> dict[str, int]:
        found = {row.key: row.failures for row in db.session.scalars(select(Throttle))}
        db.session.commit()
        return found

    return rows


def test_account_is_throttled_after_five_failures_from_any_ip(fail_login, owner, password, make_client, clock):
    statuses = [fail_login(owner.email, ip=f"198.51.100.{n}").status_code for n in range(1, 7)]
    assert statuses == [422] * 6  # the sixth failure starts the delay

    blocked = fail_login(owner.email, ip="198.51.100.99")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "1"
    assert "Too many attempts. Try again in 1 second." in blocked.get_data(as_text=True)

    right_password = make_client().post("/account/login", data={"email": owner.email, "password": password})
    assert right_password.status_code == 429  # no way around the delay, even with the password


def test_delay_doubles_with_each_further_failure(fail_login, owner, clock):
    for _ in range(6):
        fail_login(owner.email)
    retry_after = []
    for _ in range(4):
        retry_after.append(int(fail_login(owner.email).headers["Retry-After"]))
        clock.advance(seconds=retry_after[-1])
        assert fail_login(owner.email).status_code == 422
    assert retry_after == [1, 2, 4, 8]


def test_ip_is_throttled_across_accounts(fail_login, owner, app, monkeypatch, clock):
    monkeypatch.setitem(app.config, "THROTTLE_IP_FAILURES", 4)
    statuses = [fail_login(f"person{n}@example.com", ip="203.0.113.50").status_code for n in range(5)]
    assert statuses == [422] * 5

    same_ip = fail_login(owner.email, ip="203.0.113.50")
    other_ip = fail_login(owner.email, ip="203.0.113.51")
    assert same_ip.status_code == 429
    assert same_ip.headers["Retry-After"] == "1"
    assert other_ip.status_code == 422


def test_failures_are_counted_in_the_throttles_table(fail_login, owner, throttles):
    fail_login(owner.email, ip="198.51.100.7")
    fail_login("nobody@example.com", ip="198.51.100.7")

    assert throttles() == {"login:account:owner@example.com": 1, "login:account:nobody@example.com": 1,
                           "login:ip:198.51.100.7": 2}


def test_successful_login_clears_the_account_count(fail_login, owner, login, client, throttles):
    fail_login(owner.email, ip="127.0.0.1")
    login(client, owner)
    assert "login:account:owner@example.com" not in throttles()


def test_window_forgets_old_failures(fail_login, owner, clock, app, throttles):
    for _ in range(5):
        fail_login(owner.email)
    clock.advance(seconds=app.config["THROTTLE_WINDOW_SECONDS"] + 1)

    assert fail_login(owner.email).status_code == 422
    assert throttles()["login:account:owner@example.com"] == 1


def test_login_works_again_after_the_delay(fail_login, owner, password, make_client, clock):
    for _ in range(6):
        fail_login(owner.email)
    assert fail_login(owner.email).status_code == 429

    clock.advance(seconds=1)
    response = make_client().post("/account/login", data={"email": owner.email, "password": password})
    assert response.status_code == 303


def test_slow_attack_keeps_doubling_up_to_fifteen_minutes(fail_login, owner, clock):
    for _ in range(6):
        fail_login(owner.email)
    delays = []
    for _ in range(13):  # an attacker who waits out every delay: far more than one window
        delays.append(int(fail_login(owner.email).headers["Retry-After"]))
        clock.advance(seconds=delays[-1])
        assert fail_login(owner.email).status_code == 422
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_never_locked_out_for_good(fail_login, owner, password, make_client, clock):
    for _ in range(6):
        fail_login(owner.email)
    while (retry_after := int(fail_login(owner.email).headers["Retry-After"])) < 15 * 60:
        clock.advance(seconds=retry_after)
        fail_login(owner.email)
    right_password = {"email": owner.email, "password": password}
    assert make_client().post("/account/login", data=right_password).status_code == 429

    clock.advance(minutes=15)
    assert make_client().post("/account/login", data=right_password).status_code == 303


def test_count_starts_over_after_a_quiet_window_past_the_last_delay(fail_login, owner, clock, app, throttles):
    for _ in range(7):
        fail_login(owner.email)
        clock.advance(seconds=1)
    clock.advance(seconds=app.config["THROTTLE_WINDOW_SECONDS"] + 10)

    assert fail_login(owner.email).status_code == 422
    assert throttles()["login:account:owner@example.com"] == 1


def test_owner_can_reset_the_password_while_throttled(fail_login, owner, make_client, clock, outbox, links_in):
    for _ in range(6):
        fail_login(owner.email)
    assert fail_login(owner.email).status_code == 429

    browser = make_client()
    assert browser.post("/account/reset", data={"email": owner.email}).status_code == 200
    [link] = links_in(outbox(owner.email)[-1].text_body, "/account/reset/")
    browser.get(link)
    assert browser.post("/account/reset/new", data={"password": "a brand new passphrase"}).status_code == 303

    response = browser.post("/account/login", data={"email": owner.email, "password": "a brand new passphrase"})
    assert response.status_code == 303  # the clock has not moved: the reset lifted the delay


def test_throttled_attempt_does_no_hash_work(fail_login, owner, clock, argon2_calls):
    for _ in range(6):
        fail_login(owner.email)
    argon2_calls.clear()
    assert fail_login(owner.email).status_code == 429
    assert argon2_calls["verify"] == 0
