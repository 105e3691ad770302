"""What a learner gets from the lesson pages, with and without htmx."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from lessons.models import Learner, StepProgress

pytestmark = pytest.mark.django_db


def test_home_offers_start_to_a_new_learner(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Start the lesson" in body
    assert "Continue where you left off" not in body
    assert body.count('class="step-card') == 9


def test_home_gives_the_lesson_time_the_steps_add_up_to(client):
    from lessons.content import get_steps

    total = sum(step.reading_minutes for step in get_steps())
    body = client.get("/").content.decode()
    assert f"About {total} minutes" in body
    for step in get_steps():
        page = client.get(f"/steps/{step.number}/").content.decode()
        assert f"about {step.reading_minutes} min" in page


@pytest.mark.parametrize("number", range(1, 10))
def test_every_step_page_renders_with_navigation_and_progress(client, number):
    body = client.get(f"/steps/{number}/").content.decode()
    assert f"Step {number} of 9" in body
    assert 'class="callout insight"' in body
    assert 'role="img"' in body  # at least one accessible diagram
    assert re.search(r'href="/playground/[a-z0-9-]+/"', body)
    assert ('rel="prev"' in body) == (number > 1)
    assert ('rel="next"' in body) == (number < 9)


@pytest.mark.parametrize("path", ["/steps/0/", "/steps/10/", "/steps/999/", "/nowhere/"])
def test_unknown_pages_get_the_helpful_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page isn't here" in body
    assert 'href="/steps/1/"' in body


def test_unknown_step_404_says_how_long_the_lesson_is(client):
    assert "the lesson has 9 steps" in client.get("/steps/12/").content.decode()


def test_visiting_a_step_is_remembered_and_continue_goes_there(client):
    client.get("/steps/3/")
    body = client.get("/").content.decode()
    assert "Continue where you left off: step 3" in body
    learner = Learner.objects.get()
    assert StepProgress.objects.filter(learner=learner, step=3, completed_at=None).exists()


def test_marking_a_step_done_moves_on_and_continue_skips_it(client):
    client.get("/steps/4/")
    response = client.post("/progress/step/", {"step": "4", "done": "1"})
    assert response.status_code == 302 and response["Location"] == "/steps/5/"
    assert StepProgress.objects.get(step=4).completed_at is not None
    assert "Continue where you left off: step 5" in client.get("/").content.decode()


def test_marking_the_last_step_done_returns_to_it(client):
    response = client.post("/progress/step/", {"step": "9", "done": "1"})
    assert response["Location"] == "/steps/9/#step-status"


def test_a_done_step_can_be_marked_not_done_again(client):
    client.post("/progress/step/", {"step": "2", "done": "1"})
    client.post("/progress/step/", {"step": "2", "done": "0"})
    assert StepProgress.objects.get(step=2).completed_at is None


def test_continue_after_everything_is_done_goes_to_the_last_step(client):
    for n in range(1, 10):
        client.get(f"/steps/{n}/")
        client.post("/progress/step/", {"step": str(n), "done": "1"})
    assert "Continue where you left off: step 9" in client.get("/").content.decode()


def test_continue_wraps_to_an_earlier_step_left_undone(client):
    for n in (1, 3, 4, 5, 6, 7, 8, 9):
        client.post("/progress/step/", {"step": str(n), "done": "1"})
    client.get("/steps/9/")
    assert "Continue where you left off: step 2" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "data",
    [{"step": "10", "done": "1"}, {"step": "abc", "done": "1"}, {"step": "3", "done": "maybe"}, {}],
)
def test_tampered_progress_posts_get_a_clear_400_and_change_nothing(client, data):
    client.get("/steps/3/")
    before = list(StepProgress.objects.values_list("step", "completed_at"))
    response = client.post("/progress/step/", data)
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert list(StepProgress.objects.values_list("step", "completed_at")) == before


def test_a_progress_post_without_csrf_token_is_refused_and_changes_nothing():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get("/steps/3/")
    response = csrf_client.post("/progress/step/", {"step": "3", "done": "1"})
    assert response.status_code == 403
    assert "nothing was changed" in response.content.decode()
    assert StepProgress.objects.get(step=3).completed_at is None


def test_progress_with_the_token_from_the_page_works_with_csrf_enforced():
    csrf_client = Client(enforce_csrf_checks=True)
    body = csrf_client.get("/steps/3/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    response = csrf_client.post(
        "/progress/step/", {"step": "3", "done": "1", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_progress_uses_get_and_post_only(client):
    assert client.get("/progress/step/").status_code == 405
    assert client.post("/steps/1/").status_code == 405


def test_htmx_boosted_navigation_gets_the_page_and_the_csrf_header_hook(client):
    response = client.get("/steps/2/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Step 2:" in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_the_progress_page_lists_every_step_with_its_state(client):
    client.post("/progress/step/", {"step": "1", "done": "1"})
    client.get("/steps/2/")
    body = client.get("/progress/").content.decode()
    assert "1 of 9 steps done" in body
    assert body.count("Not started") == 7


def test_each_step_opens_with_its_learning_objectives(client):
    from lessons.content import get_steps

    for step in get_steps():
        body = client.get(f"/steps/{step.number}/").content.decode()
        objectives = body.index("After this step you can")
        assert objectives < body.index('class="prose"')
        for objective in step.objectives:
            assert escape(objective) in body


def test_the_objectives_page_lists_every_step_and_its_objectives(client):
    from lessons.content import get_steps

    body = client.get("/objectives/").content.decode()
    for step in get_steps():
        assert f'id="step-{step.number}"' in body
        assert f'href="/steps/{step.number}/"' in body
        for objective in step.objectives:
            assert escape(objective) in body


def test_the_glossary_page_gives_every_term_an_anchor_and_its_first_step(client):
    from lessons.glossary import get_glossary

    body = client.get("/glossary/").content.decode()
    for entry in get_glossary():
        assert f'<dt id="{entry.term.anchor}">{escape(entry.term.term)}</dt>' in body
        assert f'href="/steps/{entry.step}/#first-{entry.term.anchor}"' in body


def test_a_steps_term_links_lead_to_anchors_the_glossary_page_has(client):
    glossary = client.get("/glossary/").content.decode()
    for number in range(1, 10):
        body = client.get(f"/steps/{number}/").content.decode()
        for anchor in re.findall(r'href="/glossary/#([a-z0-9-]+)"', body):
            assert f'id="{anchor}"' in glossary


def test_home_leads_teachers_to_objectives_glossary_and_recap(client):
    body = client.get("/").content.decode()
    for href in ('href="/objectives/"', 'href="/glossary/"', 'href="/takeaways/"'):
        assert href in body
