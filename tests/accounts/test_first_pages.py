"""What a newcomer reads first: the setup page of a fresh install, and their account page."""

from __future__ import annotations


def test_a_fresh_install_opens_the_setup_page_without_asking_to_log_in(client):
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/account/setup"
    body = page.get_data(as_text=True)
    assert "Set up Revue" in body
    assert "Please log in" not in body
    assert "Please log in" not in client.get("/account/setup").get_data(as_text=True)  # not kept for later either


def test_once_there_is_an_account_a_protected_page_still_asks_to_log_in(client, owner):
    page = client.get("/clients/", follow_redirects=True)
    assert page.request.path == "/account/login"
    assert "Please log in to continue." in page.get_data(as_text=True)


def test_the_account_page_links_to_the_notification_settings(owner_client):
    body = owner_client.get("/account/").get_data(as_text=True)
    assert 'href="/review/preferences"' in body
    assert "arrive with review workflows" not in body
