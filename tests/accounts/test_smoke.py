def test_login_page_redirects_to_setup_on_empty_install(client):
    response = client.get("/account/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/setup")


def test_owner_logs_in_and_sees_projects(client, owner, login):
    login(client, owner)
    page = client.get("/projects/")
    assert page.status_code == 200
    assert "Projects" in page.get_data(as_text=True)
