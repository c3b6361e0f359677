"""The search box finds an asset by the file name of its versions ("brochure.pdf"), not only by its title —
and a client contact only by the file names of versions shared with them. SQLite and PostgreSQL alike
(``REVUE_TEST_BACKEND=postgres``): file names are matched like titles, without the full-text index."""

from __future__ import annotations

import re

import pytest
from review import factories

from revue.db import db, utcnow


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member", email="mia@example.com")


@pytest.fixture
def project(create_project, member):
    return create_project(name="Spring", members=[member])


@pytest.fixture
def contact(create_user, project):
    return create_user("client", name="Carla Client", email="carla@client.example", client=project.client)


@pytest.fixture
def brochure(project, member, contact):
    """"Spring leaflet": v1 brochure.pdf shared with Carla; v2 brochure-v2-pricing.pdf a draft; v3 deleted."""
    v1 = factories.make_version(project, member, "pdf", title="Spring leaflet")
    v1.original_name = "brochure.pdf"
    db.session.commit()
    factories.share(v1, contact)
    v2 = factories.make_version(project, member, "pdf", asset=v1.asset)
    v2.original_name = "brochure-v2-pricing.pdf"
    v3 = factories.make_version(project, member, "pdf", asset=v1.asset)
    v3.original_name, v3.deleted_at = "old-flyer.pdf", utcnow()
    db.session.commit()
    return v1.asset_id


def assets_found(browser, q: str) -> list[str]:
    body = browser.get("/search", query_string={"q": q}).get_data(as_text=True)
    section = re.search(r'<section[^>]*aria-labelledby="found-assets">(.*?)</section>', body, re.S)
    return re.findall(r'<a href="/assets/\d+">([^<]*)</a>', section.group(1)) if section else []


@pytest.fixture
def signed_in(make_client, login):
    def sign_in(user):
        made = make_client()
        login(made, user)
        return made

    return sign_in


def test_the_team_finds_an_asset_by_the_file_name_of_any_version(brochure, signed_in, member):
    mia = signed_in(member)
    for q in ("brochure.pdf", "BROCHURE-V2", "leaflet"):
        assert assets_found(mia, q) == ["Spring leaflet"], q
    assert assets_found(mia, "old-flyer") == []  # a deleted version's name is not searched
    assert assets_found(mia, "100%_brochure") == []  # LIKE wildcards typed by a person are plain characters


def test_a_client_contact_finds_it_only_by_the_file_names_shared_with_them(brochure, signed_in, contact):
    carla = signed_in(contact)
    assert assets_found(carla, "brochure.pdf") == ["Spring leaflet"]
    assert assets_found(carla, "pricing") == []  # v2 is a draft: its file name stays with the team


def test_nobody_outside_the_project_finds_it_by_file_name(brochure, signed_in, create_user, create_project):
    other = create_user("member", name="Otto Other", email="otto@example.com")
    create_project(name="Elsewhere", members=[other])
    assert assets_found(signed_in(other), "brochure.pdf") == []
