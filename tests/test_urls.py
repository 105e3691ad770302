"""Site-wide addresses that browsers ask for by themselves."""

import pytest


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


PAGES = [
    "/",
    "/steps/1/",
    "/objectives/",
    "/glossary/",
    "/quizzes/",
    "/quizzes/assessment/",
    "/playground/",
    "/evidence/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_a_page_answers_head_like_get_without_a_body(client, path):
    """Link checkers and uptime monitors ask with HEAD (RFC 9110, 9.3.2: same headers as GET)."""
    get = client.get(path)
    assert get.status_code == 200, path
    head = client.head(path)
    assert head.status_code == 200, path
    assert head["Content-Type"] == get["Content-Type"]
