"""Thin views for classes: read the request, call a service or selector, render a template.

Teacher pages live under the teacher link, ``/classroom/t/<key>/``: whoever holds the key
manages the class. A wrong key is refused like a missing page and counted; a client that has
been refused too often in a short time is refused before its key is even looked at.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from classroom.exports import roster_csv, spread_csv
from classroom.forms import ClassCreateForm, JoinForm, JoinsOpenForm
from classroom.models import Classroom, RefusedAttempt
from classroom.qr import qr_svg
from classroom.selectors import (
    answer_spread,
    classroom_for_code,
    classroom_for_key,
    membership_get,
    memberships_for,
    roster,
)
from classroom.services import (
    ATTEMPT_WINDOW,
    ClassroomRefused,
    NotAMember,
    attempt_refused,
    attempts_blocked,
    class_create,
    class_delete,
    class_join,
    class_leave,
    class_set_joins_open,
    client_fingerprint,
    join_code_normalise,
    teacher_key_rotate,
)
from lessons.progress import learner_get

FRESH_LINK = "classroom_fresh_link"  # session: the class whose new teacher link to show once


def _client(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_PROXY and forwarded:
        address = forwarded.split(",")[-1].strip()
    return client_fingerprint(address=address)


def _too_many(request: HttpRequest, what: str) -> HttpResponse:
    minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
    response = render(
        request, "classroom/too_many.html", {"what": what, "minutes": minutes}, status=429
    )
    response["Retry-After"] = str(int(ATTEMPT_WINDOW.total_seconds()))
    return response


def _teacher_link(view):
    """Open the class behind the teacher key in the URL, or refuse (and count) the key."""

    @wraps(view)
    def wrapped(request: HttpRequest, key: str, *args, **kwargs) -> HttpResponse:
        client = _client(request)
        if attempts_blocked(kind=RefusedAttempt.TEACHER_LINK, client=client):
            return _too_many(request, "teacher links")
        classroom = classroom_for_key(key=key)
        if classroom is None:
            attempt_refused(kind=RefusedAttempt.TEACHER_LINK, client=client)
            return render(request, "classroom/link_refused.html", status=404)
        response = view(request, classroom, key, *args, **kwargs)
        # The key is in this page's address: never send it on, not even to our own pages.
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _teacher_url(key: str, name: str = "classroom:dashboard") -> str:
    return reverse(name, kwargs={"key": key})


def _join_url(request: HttpRequest, classroom: Classroom) -> str:
    return request.build_absolute_uri(reverse("classroom:student", args=[classroom.join_code]))


# ----- teachers --------------------------------------------------------------------------------


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "classroom/landing.html",
        {"form": ClassCreateForm(), "deleted": request.GET.get("deleted") == "1", "nav": ""},
    )


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    form = ClassCreateForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            link = class_create(name=form.cleaned_data["name"])
        except ClassroomRefused as refused:
            error = refused.message
        else:
            request.session[FRESH_LINK] = str(link.classroom.pk)
            return redirect(_teacher_url(link.key))
    else:
        error = "A class name can be at most 80 characters long."
    return render(
        request,
        "classroom/landing.html",
        {"form": form, "name_error": error, "deleted": False},
        status=400,
    )


@require_safe
@_teacher_link
def dashboard(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    fresh = request.session.get(FRESH_LINK) == str(classroom.pk)
    if fresh:
        del request.session[FRESH_LINK]  # shown once
    return render(
        request,
        "classroom/dashboard.html",
        {
            "classroom": classroom,
            "key": key,
            "fresh": fresh,
            "teacher_url": request.build_absolute_uri(_teacher_url(key)),
            "join_url": _join_url(request, classroom),
            "roster": roster(classroom=classroom),
            "spreads": answer_spread(classroom=classroom),
        },
    )


LIVE_PARTS = {"roster": "roster_table", "answers": "spread"}


@require_safe
@_teacher_link
def dashboard_part(request: HttpRequest, classroom: Classroom, key: str, part: str) -> HttpResponse:
    """The roster or the spread alone: the class page fetches them again every few seconds."""
    context = {"classroom": classroom, "key": key}
    if part == "roster":
        context["roster"] = roster(classroom=classroom)
    else:
        context["spreads"] = answer_spread(classroom=classroom)
    return render(request, f"classroom/dashboard.html#{LIVE_PARTS[part]}", context)


@require_safe
@_teacher_link
def join_qr(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    return HttpResponse(qr_svg(url=_join_url(request, classroom)), content_type="image/svg+xml")


def _csv_response(classroom: Classroom, what: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{slugify(classroom.name) or 'class'}-{what}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@_teacher_link
def export_roster(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    return _csv_response(classroom, "roster", roster_csv(roster(classroom=classroom)))


@require_safe
@_teacher_link
def export_spread(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    site = request.build_absolute_uri("/").rstrip("/")
    return _csv_response(
        classroom, "answers", spread_csv(answer_spread(classroom=classroom), site=site)
    )


@require_POST
@_teacher_link
def rotate(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    link = teacher_key_rotate(classroom=classroom)
    request.session[FRESH_LINK] = str(classroom.pk)
    return redirect(_teacher_url(link.key))


@require_POST
@_teacher_link
def joins(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    form = JoinsOpenForm(request.POST)
    if not form.is_valid():
        return render(
            request, "400.html", {"errors": form.errors, "what": "change joining"}, status=400
        )
    class_set_joins_open(classroom=classroom, joins_open=form.cleaned_data["joins_open"])
    return redirect(_teacher_url(key) + "#manage")


@require_safe
@_teacher_link
def delete_confirm(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    return render(
        request,
        "classroom/delete_confirm.html",
        {"classroom": classroom, "key": key, "members": classroom.members.count()},
    )


@require_POST
@_teacher_link
def delete(request: HttpRequest, classroom: Classroom, key: str) -> HttpResponse:
    class_delete(classroom=classroom)
    return redirect(reverse("classroom:landing") + "?deleted=1")


# ----- students --------------------------------------------------------------------------------


def _join_page(request: HttpRequest, form: JoinForm, errors: dict, status: int = 200):
    return render(
        request,
        "classroom/join.html",
        {
            "form": form,
            "errors": errors,
            "memberships": memberships_for(learner=learner_get(request)),
            "left": request.method != "POST" and request.GET.get("left") == "1",
        },
        status=status,
    )


@require_safe
def join(request: HttpRequest) -> HttpResponse:
    return _join_page(request, JoinForm(initial={"code": request.GET.get("code", "")[:16]}), {})


@require_POST
def join_submit(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST)
    client = _client(request)
    if attempts_blocked(kind=RefusedAttempt.JOIN_CODE, client=client):
        return _too_many(request, "join codes")
    if not form.is_valid():
        errors = {field: messages[0] for field, messages in form.errors.items()}
        return _join_page(request, form, errors, status=400)
    learner = learner_get(request, create=True)
    try:
        joined = class_join(
            learner=learner,
            code=form.cleaned_data["code"],
            nickname=form.cleaned_data["nickname"],
        )
    except ClassroomRefused as refused:
        if refused.unknown_code:
            attempt_refused(kind=RefusedAttempt.JOIN_CODE, client=client)
        return _join_page(request, form, {refused.field: refused.message}, status=400)
    code = joined.membership.classroom.join_code
    suffix = "" if joined.already else "?new=1"
    return redirect(reverse("classroom:student", args=[code]) + suffix)


@require_safe
def student(request: HttpRequest, code: str) -> HttpResponse:
    """A student's page for their class; anyone else is sent to the join form, code filled in."""
    classroom = classroom_for_code(code=code)
    membership = (
        membership_get(learner=learner_get(request), classroom=classroom) if classroom else None
    )
    if membership is None:
        query = urlencode({"code": join_code_normalise(code)})
        return redirect(f"{reverse('classroom:join')}?{query}")
    return render(
        request,
        "classroom/student.html",
        {"membership": membership, "classroom": classroom, "new": request.GET.get("new") == "1"},
    )


@require_POST
def leave(request: HttpRequest, code: str) -> HttpResponse:
    classroom = classroom_for_code(code=code)
    learner = learner_get(request)
    try:
        if classroom is None or learner is None:
            raise NotAMember("You are not in this class.")
        class_leave(learner=learner, classroom=classroom)
    except NotAMember as refused:
        return render(request, "classroom/not_member.html", {"message": str(refused)}, status=403)
    return redirect(reverse("classroom:join") + "?left=1")
