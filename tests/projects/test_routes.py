"""Projects: the list (page or htmx fragment, search and filters), create, show, edit, status,
team — and the outsider rules of SECURITY D6."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from revue.db import db
from revue.projects.models import Project, ProjectMember, ProjectStatus

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def acme(create_client_row):
    return create_client_row("Acme")


@pytest.fixture
def globex(create_client_row):
    return create_client_row("Globex")


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member")


@pytest.fixture
def portfolio(create_project, acme, globex, member):
    """Projects with different clients, due dates, states and teams."""
    today = date.today()
    made = {
        "launch": create_project(acme, name="Spring launch", members=[member]),
        "catalogue": create_project(acme, name="Catalogue"),
        "rebrand": create_project(globex, name="Globex rebrand", members=[member]),
        "old": create_project(globex, name="Old campaign"),
    }
    made["launch"].due_date = today + timedelta(days=3)
    made["catalogue"].due_date = today + timedelta(days=20)
    made["rebrand"].due_date = today - timedelta(days=2)
    made["old"].status = ProjectStatus.ARCHIVED
    db.session.commit()
    return made


def names(response) -> set[str]:
    body = text(response)
    return {name for name in ("Spring launch", "Catalogue", "Globex rebrand", "Old campaign")
            if f"<h2>{name}</h2>" in body}


# -- the list ----------------------------------------------------------------------------------


def test_list_page_and_fragment_from_one_url(client, login, owner, portfolio):
    login(client, owner)
    page = client.get("/projects/")
    assert page.status_code == 200
    assert "<html" in text(page) and 'id="project-results"' in text(page)
    assert "HX-Request" in page.headers["Vary"]

    fragment = client.get("/projects/?q=launch", headers=HTMX)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    body = text(fragment).strip()
    assert body.startswith('<div id="project-results"') and body.endswith("</div>")
    assert "<html" not in body and "<form" not in body and "<nav" not in body
    assert names(fragment) == {"Spring launch"}


def test_boosted_navigation_gets_the_whole_page(client, login, owner, portfolio):
    login(client, owner)
    response = client.get("/projects/", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in text(response)


def test_history_restore_gets_the_whole_page(client, login, owner, portfolio):
    """htmx (historyCacheSize 0) re-fetches a pushed search URL on Back and swaps it into <body>."""
    login(client, owner)
    response = client.get("/projects/?q=launch", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in text(response)


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"Spring launch", "Catalogue", "Globex rebrand"}),
    ("?q=LAUNCH", {"Spring launch"}),
    ("?q=globex", {"Globex rebrand"}),  # by client name too
    ("?q=%25", set()),  # LIKE wildcards are not special
    ("?client={acme}", {"Spring launch", "Catalogue"}),
    ("?status=archived", {"Old campaign"}),
    ("?status=all", {"Spring launch", "Catalogue", "Globex rebrand", "Old campaign"}),
    ("?status=bogus", {"Spring launch", "Catalogue", "Globex rebrand"}),
    ("?due=overdue", {"Globex rebrand"}),
    ("?due=week", {"Spring launch"}),
    ("?due=month", {"Spring launch", "Catalogue"}),
    ("?due=none", set()),
    ("?due=none&status=all", {"Old campaign"}),
    ("?client={acme}&due=week", {"Spring launch"}),
])
def test_search_and_filters(client, login, owner, portfolio, acme, query, expected):
    login(client, owner)
    response = client.get("/projects/" + query.format(acme=acme.id), headers=HTMX)
    assert response.status_code == 200
    assert names(response) == expected


def test_list_is_sorted_by_due_date_with_undated_last(client, login, owner, portfolio):
    login(client, owner)
    body = text(client.get("/projects/?status=all", headers=HTMX))
    order = sorted(("Spring launch", "Catalogue", "Globex rebrand", "Old campaign"), key=body.index)
    assert order == ["Globex rebrand", "Spring launch", "Catalogue", "Old campaign"]


def test_members_see_only_their_projects(client, login, member, portfolio):
    login(client, member)
    assert names(client.get("/projects/?status=all")) == {"Spring launch", "Globex rebrand"}


def test_admins_see_every_project(client, login, create_user, portfolio):
    login(client, create_user("admin"))
    assert names(client.get("/projects/?status=all")) == {"Spring launch", "Catalogue", "Globex rebrand",
                                                           "Old campaign"}


def test_client_contacts_see_only_their_clients_projects(client, login, create_user, portfolio, acme, globex):
    login(client, create_user("client", client=acme))
    assert names(client.get("/projects/?status=all")) == {"Spring launch", "Catalogue"}
    # a client filter cannot widen the view
    assert names(client.get(f"/projects/?status=all&client={globex.id}")) == set()
    page = text(client.get("/projects/"))
    assert "Globex" not in page  # no other clients in a filter either


def test_project_list_query_count_does_not_grow(client, login, owner, acme, create_user, count_queries):
    team = [create_user("member") for _ in range(3)]

    def add(n: int) -> None:
        for i in range(n):
            project = Project(client_id=acme.id, name=f"Project {i}", due_date=date.today() + timedelta(days=i))
            db.session.add(project)
            db.session.flush()
            for person in team:
                db.session.add(ProjectMember(project_id=project.id, user_id=person.id))
        db.session.commit()

    login(client, owner)
    add(5)
    with count_queries() as few:
        assert client.get("/projects/").status_code == 200
    add(45)
    with count_queries() as many:
        response = client.get("/projects/")
    assert text(response).count('class="project-card"') == 50
    assert many.count == few.count, (few.count, many.count)


# -- create, show, edit ---------------------------------------------------------------------


def test_create_project(client, login, member, acme):
    login(client, member)
    form = client.get(f"/projects/new?client={acme.id}")
    assert form.status_code == 200
    assert f'<option selected value="{acme.id}">' in text(form) or f'value="{acme.id}" selected' in text(form)
    response = client.post("/projects/new", data={"name": "Launch", "client_id": acme.id,
                                                  "due_date": "2030-01-31", "brief": "**Go**"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert response.headers["Location"] == f"/projects/{project.id}"
    assert (project.name, project.due_date, project.brief) == ("Launch", date(2030, 1, 31), "**Go**")
    assert db.session.scalar(select(ProjectMember.user_id)) == member.id  # the creator is on the team
    page = client.get(f"/projects/{project.id}")
    assert page.status_code == 200 and "<strong>Go</strong>" in text(page)


@pytest.mark.parametrize("data", [
    {"name": "", "client_id": "{acme}"},
    {"name": "x" * 161, "client_id": "{acme}"},
    {"name": "Ok", "client_id": "424242"},
    {"name": "Ok", "client_id": "{archived}"},
    {"name": "Ok", "client_id": "{acme}", "due_date": "31/01/2030"},
])
def test_create_invalid_is_422(client, login, owner, acme, create_client_row, data):
    archived = create_client_row("Archived Co")
    login(client, owner)
    client.post(f"/clients/{archived.id}/archive", data={"archived": "1"})
    values = {k: v.format(acme=acme.id, archived=archived.id) for k, v in data.items()}
    response = client.post("/projects/new", data=values)
    assert response.status_code == 422
    assert 'class="error"' in text(response)
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_new_project_without_clients_points_to_clients(client, login, owner):
    login(client, owner)
    body = text(client.get("/projects/new"))
    assert "Add a client first" in body


def test_edit_project(client, login, owner, portfolio, globex):
    project = portfolio["launch"]
    login(client, owner)
    assert client.get(f"/projects/{project.id}/edit").status_code == 200
    response = client.post(f"/projects/{project.id}/edit", data={"name": "Summer launch", "client_id": globex.id,
                                                                 "due_date": "", "brief": ""})
    assert response.status_code == 303 and response.headers["Location"] == f"/projects/{project.id}"
    db.session.refresh(project)
    assert (project.name, project.client_id, project.due_date) == ("Summer launch", globex.id, None)
    invalid = client.post(f"/projects/{project.id}/edit", data={"name": "", "client_id": globex.id})
    assert invalid.status_code == 422


def test_archive_and_reopen(client, login, owner, portfolio):
    project = portfolio["launch"]
    login(client, owner)
    response = client.post(f"/projects/{project.id}/status", data={"status": "archived"})
    assert response.status_code == 303 and response.headers["Location"] == f"/projects/{project.id}"
    db.session.refresh(project)
    assert project.status == ProjectStatus.ARCHIVED
    assert client.post(f"/projects/{project.id}/status", data={"status": "active"}).status_code == 303
    assert client.post(f"/projects/{project.id}/status", data={"status": "deleted"}).status_code == 422
    db.session.refresh(project)
    assert project.status == ProjectStatus.ACTIVE


def test_team_add_and_remove(client, login, owner, portfolio, create_user, acme):
    project = portfolio["catalogue"]
    newcomer = create_user("member", name="Ned Newcomer")
    contact = create_user("client", client=acme)
    login(client, owner)
    page = text(client.get(f"/projects/{project.id}"))
    assert "Ned Newcomer" in page and f'value="{contact.id}"' not in page
    response = client.post(f"/projects/{project.id}/members", data={"user_id": newcomer.id})
    assert response.status_code == 303
    assert newcomer.id in db.session.scalars(select(ProjectMember.user_id)
                                             .where(ProjectMember.project_id == project.id)).all()
    assert client.post(f"/projects/{project.id}/members", data={"user_id": contact.id}).status_code == 422
    assert client.post(f"/projects/{project.id}/members", data={"user_id": newcomer.id}).status_code == 422
    response = client.post(f"/projects/{project.id}/members/{newcomer.id}/remove")
    assert response.status_code == 303 and response.headers["Location"] == f"/projects/{project.id}"
    assert newcomer.id not in db.session.scalars(select(ProjectMember.user_id)
                                                 .where(ProjectMember.project_id == project.id)).all()


def test_member_leaving_a_project_goes_back_to_the_list(client, login, member, portfolio):
    project = portfolio["launch"]
    login(client, member)
    response = client.post(f"/projects/{project.id}/members/{member.id}/remove")
    assert response.status_code == 303 and response.headers["Location"] == "/projects/"
    assert client.get(f"/projects/{project.id}").status_code == 404


# -- outsiders (D6) ---------------------------------------------------------------------------


def project_urls(project, user_id):
    return [("GET", f"/projects/{project.id}"), ("GET", f"/projects/{project.id}/edit"),
            ("POST", f"/projects/{project.id}/edit"), ("POST", f"/projects/{project.id}/status"),
            ("POST", f"/projects/{project.id}/members"),
            ("POST", f"/projects/{project.id}/members/{user_id}/remove")]


def test_member_not_on_a_project_gets_404(client, login, member, portfolio, owner):
    login(client, member)
    for project in (portfolio["catalogue"], portfolio["old"]):
        for method, url in project_urls(project, owner.id):
            response = client.open(url, method=method, data={"status": "archived", "name": "Hacked"})
            assert response.status_code == 404, (method, url)
    db.session.refresh(portfolio["catalogue"])
    assert portfolio["catalogue"].name == "Catalogue" and portfolio["catalogue"].status == ProjectStatus.ACTIVE


def test_client_contact_reads_own_projects_and_nothing_else(client, login, create_user, portfolio, acme, owner):
    login(client, create_user("client", client=acme))
    own, other = portfolio["launch"], portfolio["rebrand"]
    page = client.get(f"/projects/{own.id}")
    assert page.status_code == 200
    assert "Edit" not in text(page) or f"/projects/{own.id}/edit" not in text(page)
    for method, url in project_urls(other, owner.id):
        assert client.open(url, method=method, data={"status": "archived"}).status_code == 404, (method, url)
    for method, url in project_urls(own, owner.id)[1:]:
        assert client.open(url, method=method, data={"status": "archived"}).status_code == 404, (method, url)
    assert client.get("/projects/new").status_code == 404
    assert client.get("/clients/").status_code == 404
    db.session.refresh(own)
    assert own.status == ProjectStatus.ACTIVE


def test_deactivated_member_is_logged_out(client, login, member, portfolio):
    login(client, member)
    assert client.get(f"/projects/{portfolio['launch'].id}").status_code == 200
    member.active = False
    db.session.commit()
    response = client.get(f"/projects/{portfolio['launch'].id}")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_htmx_request_after_the_session_ended_goes_to_the_login_page(client, portfolio):
    """A plain 302 is followed by htmx's XHR, which would swap the login page into the project list."""
    response = client.get("/projects/?q=launch", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/account/login")


# -- client contacts on the project page -----------------------------------------------------------------


def test_a_contact_invited_but_not_signed_up_is_listed_as_invited(client, login, owner, member, portfolio, acme):
    from revue.accounts import services as accounts
    from revue.accounts.models import Role

    login(client, member)
    url = f"/projects/{portfolio['launch'].id}"
    assert "Acme has no contacts yet." in text(client.get(url))
    accounts.invite(owner, "nia@acme.example", Role.CLIENT, name="Nia New", client=acme)
    db.session.commit()
    page = text(client.get(url))
    assert "has no contacts yet" not in page
    assert "Nia New" in page and "nia@acme.example" in page and ">Invited<" in page
