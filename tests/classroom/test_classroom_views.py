"""Classes without accounts, as teachers and students meet them: create, join, leave, rotate,
close, delete, and the refusals (a guessed teacher link, a student outside the class)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from classroom import services
from classroom.models import Classroom, Membership, RefusedAttempt
from classroom.qr import qr_svg
from classroom.services import class_create, teacher_key_hash
from lessons.answers import attempt_start, prediction_commit
from lessons.models import Answer, Learner, StepProgress
from lessons.quizzes import get_predictions, quiz_get

pytestmark = pytest.mark.django_db

KEEP = "Keep this link; anyone with it manages the class"


def teacher_path(key: str, tail: str = "") -> str:
    return f"/classroom/t/{key}/{tail}"


@pytest.fixture
def made():
    return class_create(name="11B Computing")


def a_learner(client: Client) -> Learner:
    """A student who has done step 1 before joining any class."""
    client.get("/steps/1/")
    client.post("/progress/step/", {"step": 1, "done": "1"})
    return Learner.objects.get(pk=client.session["learner_id"])


def join(client: Client, code: str, nickname: str):
    return client.post("/join/submit/", {"code": code, "nickname": nickname})


# ----- teachers: create, the teacher link ------------------------------------------------------


def test_creating_a_class_leads_to_its_teacher_link_shown_once(client):
    response = client.post("/classroom/new/", {"name": "  11B   Computing "})
    assert response.status_code == 302
    key = re.fullmatch(r"/classroom/t/([A-Za-z0-9_-]{43})/", response["Location"]).group(1)
    classroom = Classroom.objects.get()
    assert classroom.name == "11B Computing"
    assert classroom.teacher_key_hash == teacher_key_hash(key)
    assert key not in str(Classroom.objects.values().get())  # only the hash is stored
    first = client.get(response["Location"]).content.decode()
    assert KEEP in first and f"http://testserver/classroom/t/{key}/" in first
    assert re.search(r"[A-Z2-9]{3} [A-Z2-9]{3}", first)  # the join code, readable in halves
    second = client.get(response["Location"]).content.decode()
    assert KEEP not in second and 'id="teacher-link"' not in second


@pytest.mark.parametrize("name", ["", "   ", "\u202e\u200b", "x" * 81, "!!!"])
def test_a_class_name_that_cannot_be_used_is_refused_and_creates_nothing(client, name):
    response = client.post("/classroom/new/", {"name": name})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert Classroom.objects.count() == 0


def test_the_teacher_page_is_not_indexed_and_sends_no_referrer(client, made):
    response = client.get(teacher_path(made.key))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "private" in response["Cache-Control"]


def test_the_qr_code_is_an_svg_of_the_join_link(client, made):
    response = client.get(teacher_path(made.key, "qr.svg"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    code = made.classroom.join_code
    assert response.content == qr_svg(url=f"http://testserver/join/{code}/")
    assert b"<script" not in response.content


def test_rotating_the_teacher_link_retires_the_old_one(client, made):
    response = client.post(teacher_path(made.key, "rotate/"))
    assert response.status_code == 302
    new_path = response["Location"]
    assert new_path != teacher_path(made.key)
    assert KEEP in client.get(new_path).content.decode()
    assert client.get(teacher_path(made.key)).status_code == 404
    assert client.post(teacher_path(made.key, "rotate/")).status_code == 404
    made.classroom.refresh_from_db()
    assert made.classroom.key_rotated_at is not None


# ----- guessed teacher links -------------------------------------------------------------------


def test_a_wrong_teacher_link_is_refused_and_counted(client, made):
    wrong = made.key[:-1] + ("A" if made.key[-1] != "A" else "B")
    response = client.get(teacher_path(wrong))
    assert response.status_code == 404
    assert "does not open a class" in response.content.decode()
    assert RefusedAttempt.objects.filter(kind=RefusedAttempt.TEACHER_LINK).count() == 1
    assert client.post(teacher_path(wrong, "delete/confirm/")).status_code == 404
    assert Classroom.objects.count() == 1


def test_guessing_teacher_links_is_rate_limited_per_client(made):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    limit = services.ATTEMPT_LIMITS[RefusedAttempt.TEACHER_LINK]
    for n in range(limit):
        assert guesser.get(teacher_path(f"guess-{n}")).status_code == 404
    blocked = guesser.get(teacher_path(made.key))  # even the right key, from that client
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(int(services.ATTEMPT_WINDOW.total_seconds()))
    assert guesser.get(teacher_path("guess-more")).status_code == 429
    assert RefusedAttempt.objects.count() == limit  # blocked tries are not even looked up
    # Another client is not affected, and no address is stored.
    assert Client(REMOTE_ADDR="198.51.100.2").get(teacher_path(made.key)).status_code == 200
    assert "203.0.113.7" not in str(list(RefusedAttempt.objects.values()))
    # Once the window has passed, the client is served again.
    RefusedAttempt.objects.update(at=timezone.now() - services.ATTEMPT_WINDOW - timedelta(1))
    assert guesser.get(teacher_path(made.key)).status_code == 200


def test_guessing_join_codes_is_rate_limited_too(client, made, monkeypatch):
    monkeypatch.setitem(services.ATTEMPT_LIMITS, RefusedAttempt.JOIN_CODE, 3)
    for code in ["AAAAAA", "BBBBBB", "CCCCCC"]:
        assert join(client, code, "Ana").status_code == 400
    response = join(client, made.classroom.join_code, "Ana")
    assert response.status_code == 429
    assert Membership.objects.count() == 0


# ----- students: joining -----------------------------------------------------------------------


def test_a_student_joins_with_code_and_nickname_and_keeps_what_they_did(client, made):
    learner = a_learner(client)
    response = join(client, made.classroom.join_code.lower(), "Ana")
    code = made.classroom.join_code
    assert response.status_code == 302 and response["Location"] == f"/join/{code}/?new=1"
    membership = Membership.objects.get()
    assert membership.learner_id == learner.pk and membership.nickname == "Ana"
    page = client.get(response["Location"]).content.decode()
    assert "You joined as" in page and "11B Computing" in page
    roster = Client().get(teacher_path(made.key)).content.decode()
    row = re.search(r"<tr>\s*<th scope=\"row\"><bdi>Ana</bdi></th>\s*<td>(\d+)</td>", roster)
    assert row and row.group(1) == "1"  # step 1, done before joining, counts


def test_the_join_link_of_the_qr_code_fills_in_the_code(client, made):
    code = made.classroom.join_code
    response = client.get(f"/join/{code}/")
    assert response.status_code == 302 and response["Location"] == f"/join/?code={code}"
    page = client.get(response["Location"]).content.decode()
    assert f'value="{code}"' in page
    assert 'action="/join/submit/"' in page and 'name="csrfmiddlewaretoken"' in page


def test_a_code_typed_with_spaces_and_dashes_still_joins(client, made):
    code = made.classroom.join_code
    assert join(client, f" {code[:3]}-{code[3:].lower()} ", "Ana").status_code == 302


def test_joining_twice_changes_nothing(client, made):
    join(client, made.classroom.join_code, "Ana")
    response = join(client, made.classroom.join_code, "Someone else")
    assert response.status_code == 302 and "new=1" not in response["Location"]
    assert list(Membership.objects.values_list("nickname", flat=True)) == ["Ana"]


@pytest.mark.parametrize(
    "taken", ["Ana", "ana", "ANA", " Ana ", "Ａｎａ", "A\u200bna", "\u202eAna"], ids=repr
)
def test_a_nickname_taken_in_the_class_is_refused_whatever_its_spelling(made, taken):
    join(Client(), made.classroom.join_code, "Ana")
    response = join(Client(), made.classroom.join_code, taken)
    assert response.status_code == 400
    assert "already called" in response.content.decode()
    assert Membership.objects.count() == 1


def test_the_same_nickname_is_fine_in_another_class(made):
    other = class_create(name="11C")
    join(Client(), made.classroom.join_code, "Ana")
    assert join(Client(), other.classroom.join_code, "Ana").status_code == 302


@pytest.mark.parametrize(
    ("nickname", "message"),
    [
        ("", "Type a nickname"),
        ("   ", "Type a nickname"),
        ("\u202e\u2066\u200f", "Type a nickname"),  # nothing left once neutralised
        ("x" * 25, "at most 24 characters"),
        ("!!!", "at least one letter or digit"),
        ("Ana\x00", "Null characters are not allowed"),
        ("Z\u0301\u0302\u0303\u0304\u0305alg", "too many accents"),
    ],
    ids=["empty", "spaces", "only-controls", "too-long", "no-letter", "null", "zalgo"],
)
def test_a_nickname_that_cannot_be_used_is_refused_with_a_reason(client, made, nickname, message):
    response = join(client, made.classroom.join_code, nickname)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'id="join-nickname-error"' in body
    assert Membership.objects.count() == 0


def test_bidi_and_control_characters_are_removed_from_a_nickname(client, made):
    join(client, made.classroom.join_code, "An\u202ea\u200b \t\n  B\u2067o\x7f\x1b")
    assert Membership.objects.get().nickname == "Ana Bo"


def test_a_nickname_in_a_right_to_left_script_is_kept_and_isolated(client, made):
    join(client, made.classroom.join_code, "مريم")
    assert Membership.objects.get().nickname == "مريم"
    assert "<bdi>مريم</bdi>" in Client().get(teacher_path(made.key)).content.decode()


def test_an_unknown_code_is_refused_and_joins_nothing(client, made):
    response = join(client, "ZZZZZZ", "Ana")
    assert response.status_code == 400
    assert "No class has that code" in response.content.decode()
    assert Membership.objects.count() == 0


def test_a_closed_class_takes_no_new_students_but_keeps_its_members(made):
    teacher, ana, bo = Client(), Client(), Client()
    join(ana, made.classroom.join_code, "Ana")
    assert teacher.post(teacher_path(made.key, "joins/"), {"joins_open": "0"}).status_code == 302
    refused = join(bo, made.classroom.join_code, "Bo")
    assert refused.status_code == 400 and "closed to new students" in refused.content.decode()
    assert ana.get(f"/join/{made.classroom.join_code}/").status_code == 200
    assert "closed to new students" in teacher.get(teacher_path(made.key)).content.decode()
    teacher.post(teacher_path(made.key, "joins/"), {"joins_open": "1"})
    assert join(bo, made.classroom.join_code, "Bo").status_code == 302


def test_a_bad_joins_value_is_refused(client, made):
    assert client.post(teacher_path(made.key, "joins/"), {"joins_open": "maybe"}).status_code == 400
    made.classroom.refresh_from_db()
    assert made.classroom.joins_open


# ----- leaving, and students outside the class -------------------------------------------------


def test_a_student_leaves_and_keeps_their_progress(client, made):
    learner = a_learner(client)
    join(client, made.classroom.join_code, "Ana")
    response = client.post(f"/join/{made.classroom.join_code}/leave/")
    assert response.status_code == 302 and response["Location"] == "/join/?left=1"
    assert "You left the class" in client.get(response["Location"]).content.decode()
    assert Membership.objects.count() == 0
    assert StepProgress.objects.filter(learner=learner, completed_at__isnull=False).count() == 1
    assert "Ana" not in Client().get(teacher_path(made.key)).content.decode()


def test_a_student_not_in_the_class_cannot_act_in_it(made):
    ana, outsider = Client(), Client()
    join(ana, made.classroom.join_code, "Ana")
    a_learner(outsider)
    code = made.classroom.join_code
    refused = outsider.post(f"/join/{code}/leave/")
    assert refused.status_code == 403
    assert "You are not in this class" in refused.content.decode()
    assert Membership.objects.count() == 1
    assert outsider.get(f"/join/{code}/").status_code == 302  # sent to the join form
    assert Client().post("/join/ZZZZZZ/leave/").status_code == 403  # no session, no class


def test_a_student_cannot_see_the_teacher_page_without_the_link(made):
    ana = Client()
    join(ana, made.classroom.join_code, "Ana")
    page = ana.get(f"/join/{made.classroom.join_code}/").content.decode()
    assert "/classroom/t/" not in page and made.key not in page


# ----- deleting --------------------------------------------------------------------------------


def test_deleting_a_class_asks_first_then_leaves_nothing_behind(made):
    teacher, ana = Client(), Client()
    learner = a_learner(ana)
    join(ana, made.classroom.join_code, "Ana")
    confirm = teacher.get(teacher_path(made.key, "delete/"))
    assert confirm.status_code == 200 and "1 student" in confirm.content.decode()
    assert Classroom.objects.count() == 1  # looking at the question deletes nothing
    response = teacher.post(teacher_path(made.key, "delete/confirm/"))
    assert response.status_code == 302 and response["Location"] == "/classroom/?deleted=1"
    assert Classroom.objects.count() == 0 and Membership.objects.count() == 0
    assert teacher.get(teacher_path(made.key)).status_code == 404
    assert join(Client(), made.classroom.join_code, "Bo").status_code == 400
    assert Learner.objects.filter(pk=learner.pk).exists()  # the student's own work stays
    assert ana.get(f"/join/{made.classroom.join_code}/").status_code == 302


def test_a_learner_who_resets_their_progress_leaves_the_roster(client, made):
    a_learner(client)
    join(client, made.classroom.join_code, "Ana")
    client.post("/progress/reset/")
    assert Membership.objects.count() == 0


# ----- CSRF ------------------------------------------------------------------------------------


def test_every_classroom_post_needs_the_csrf_token(made):
    strict = Client(enforce_csrf_checks=True)
    code = made.classroom.join_code
    for path, data in [
        ("/classroom/new/", {"name": "x"}),
        (teacher_path(made.key, "rotate/"), {}),
        (teacher_path(made.key, "joins/"), {"joins_open": "0"}),
        (teacher_path(made.key, "delete/confirm/"), {}),
        ("/join/submit/", {"code": code, "nickname": "Ana"}),
        (f"/join/{code}/leave/", {}),
    ]:
        assert strict.post(path, data).status_code == 403, path
    assert Classroom.objects.count() == 1 and Membership.objects.count() == 0
    made.classroom.refresh_from_db()
    assert made.classroom.joins_open and made.classroom.teacher_key_hash == teacher_key_hash(
        made.key
    )


def test_classroom_pages_keep_the_strict_csp(client, made):
    join(client, made.classroom.join_code, "Ana")
    for path in [
        "/classroom/",
        "/join/",
        f"/join/{made.classroom.join_code}/",
        teacher_path(made.key),
        teacher_path(made.key, "delete/"),
    ]:
        body = client.get(path).content.decode()
        assert 'style="' not in body and "<style" not in body, path
        assert not re.search(r"<script(?![^>]*nonce=)", body), path


# ----- dashboard figures -----------------------------------------------------------------------


def _myth_answer(learner, question_id: str, choice: str, confidence: str):
    from lessons.answers import answer_commit

    attempt = attempt_start(learner=learner, quiz="myths")
    return answer_commit(
        learner=learner,
        attempt=attempt,
        key=f"myths/{question_id}",
        choice_id=choice,
        confidence=confidence,
    )


def test_the_dashboard_puts_the_myths_the_class_still_believes_first(made):
    myths = quiz_get("myths")
    believed, known = myths.questions[0], myths.questions[1]
    wrong = next(c.id for c in believed.choices if not c.correct)
    right = known.correct_choice.id
    clients = [Client(), Client(), Client()]
    for n, c in enumerate(clients):
        learner = a_learner(c)
        join(c, made.classroom.join_code, f"S{n}")
        _myth_answer(learner, known.id, right, "sure")
        _myth_answer(learner, believed.id, wrong, "sure" if n else "guess")
    prediction = get_predictions()[min(get_predictions())]
    prediction_commit(
        learner=Learner.objects.get(pk=clients[0].session["learner_id"]),
        question=prediction,
        choice_id=prediction.correct_choice.id,
    )
    Answer.objects.create(  # someone outside the class: not counted
        learner=Learner.objects.create(), quiz="myths", question_id=known.id, correct=False
    )
    page = Client().get(teacher_path(made.key)).content.decode()
    spread = page.split('id="spread-title"')[1]
    assert spread.index(believed.prompt) < spread.index(known.prompt)
    assert "3 of 3 wrong" in spread and "2 confident misses" in spread
    assert "0 of 3 wrong" in spread and "1 of 1 wrong" not in spread
    assert f'href="{believed.see_it_url}"' in spread
    assert prediction.prompt in spread


def test_the_roster_exports_as_csv_with_formulas_neutralised(made):
    ana = Client()
    a_learner(ana)
    join(ana, made.classroom.join_code, "=HYPERLINK(x)")
    response = Client().get(teacher_path(made.key, "roster.csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="11b-computing-roster.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Nickname,Steps done (of 9)")
    assert lines[1].startswith("'=HYPERLINK(x),1,0,")


def test_the_spread_exports_as_csv_with_links_to_the_truth(made):
    ana = Client()
    learner = a_learner(ana)
    join(ana, made.classroom.join_code, "Ana")
    question = quiz_get("myths").questions[0]
    _myth_answer(learner, question.id, question.correct_choice.id, "sure")
    text = Client().get(teacher_path(made.key, "answers.csv")).content.decode()
    assert text.splitlines()[0].startswith("Question,Where,Answer,Right answer,Students")
    assert f"http://testserver{question.see_it_url}" in text
    assert len(text.splitlines()) == 1 + len(question.choices)


def test_every_page_leads_teachers_and_students_to_classes(client):
    footer = client.get("/glossary/").content.decode().split('class="site-footer"')[1]
    assert 'href="/join/"' in footer and 'href="/classroom/"' in footer
    teachers = client.get("/").content.decode().split('id="teacher-title"')[1]
    assert 'href="/classroom/"' in teachers
    assert 'href="/classroom/"' in client.get("/quizzes/exercises/").content.decode()


@pytest.mark.parametrize("path", ["/classroom/", "/join/"])
def test_classroom_pages_answer_head_like_get(client, path):
    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200


def test_the_roster_and_the_spread_refresh_themselves_as_partials(made):
    page = Client().get(teacher_path(made.key)).content.decode()
    for part in ["roster", "answers"]:
        assert f'hx-get="/classroom/t/{made.key}/live/{part}/" hx-trigger="every 5s"' in page
    ana = Client()
    a_learner(ana)
    join(ana, made.classroom.join_code, "Ana")
    roster = Client().get(teacher_path(made.key, "live/roster/"))
    assert roster.status_code == 200 and roster["Referrer-Policy"] == "no-referrer"
    body = roster.content.decode()
    assert body.lstrip().startswith('<section class="classroom-roster"') and "<html" not in body
    assert "<bdi>Ana</bdi>" in body
    answers = Client().get(teacher_path(made.key, "live/answers/")).content.decode()
    assert answers.lstrip().startswith('<section class="classroom-spread"')
    assert Client().get(f"/classroom/t/{'x' * 43}/live/roster/").status_code == 404
