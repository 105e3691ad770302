"""Quiz, prediction, recap and reset pages. Thin: forms in, services called, templates out."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lessons.answers import (
    REVIEW,
    AnswerRejected,
    answer_commit,
    answer_spread,
    answer_text,
    attempt_answers,
    attempt_choices,
    attempt_latest,
    attempt_next_position,
    attempt_result,
    attempt_start,
    prediction_choices,
    prediction_commit,
    prediction_get,
    prediction_records,
    progress_reset,
    question_for_key,
    quiz_scores,
    review_due,
)
from lessons.content import get_step
from lessons.forms import AnswerForm
from lessons.models import QuizAttempt
from lessons.progress import SESSION_KEY, learner_get, lesson_progress
from lessons.quiz_guessing import all_figures, figures_table
from lessons.quizzes import (
    ASSESSMENT,
    CONFIDENCE_CHOICES,
    VERDICT,
    get_exercises,
    get_prediction,
    get_predictions,
    get_takeaways,
    quiz_get,
)
from playground.experiment_runs import experiment_stats

QUIZ_TITLES = {REVIEW: "Review what you missed"}


def _quiz_or_404(slug: str):
    if slug == REVIEW:
        return None
    quiz = quiz_get(slug)
    if quiz is None:
        raise Http404(f"There is no quiz called “{slug}”.")
    return quiz


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message, "what": "take that answer"}, status=400)


@require_safe
def quiz_index(request: HttpRequest) -> HttpResponse:
    learner = learner_get(request)
    scores = quiz_scores(learner=learner)
    return render(
        request,
        "lessons/quiz_index.html",
        {
            "scores": [s for s in scores if s.quiz.slug != ASSESSMENT],
            "assessment": next(s for s in scores if s.quiz.slug == ASSESSMENT),
            "prediction_steps": sorted(get_predictions()),
            "due": review_due(learner=learner),
            "nav": "quizzes",
        },
    )


@require_safe
def quiz_detail(request: HttpRequest, slug: str) -> HttpResponse:
    quiz = _quiz_or_404(slug)
    learner = learner_get(request)
    latest = attempt_latest(learner=learner, quiz=slug)
    resume = attempt_next_position(latest) if latest else None
    return render(
        request,
        "lessons/quiz_detail.html",
        {
            "quiz": quiz,
            "slug": slug,
            "title": quiz.title if quiz else QUIZ_TITLES[REVIEW],
            "latest": latest,
            "resume": resume,
            "due": review_due(learner=learner) if slug == REVIEW else [],
            "nav": "quizzes",
        },
    )


@require_POST
def quiz_start(request: HttpRequest, slug: str) -> HttpResponse:
    _quiz_or_404(slug)
    learner = learner_get(request, create=True)
    try:
        attempt = attempt_start(learner=learner, quiz=slug)
    except AnswerRejected:  # nothing is due for review: that page says so
        return redirect("lessons:quiz", slug=slug)
    return redirect("lessons:quiz-question", slug=slug, number=attempt.number, position=1)


def _attempt_or_404(request: HttpRequest, slug: str, number: int) -> QuizAttempt:
    _quiz_or_404(slug)
    learner = learner_get(request)
    if learner is None:
        raise Http404("That quiz attempt is not yours, or it does not exist.")
    # Only the learner's own attempts can be found: no one sees or answers another's.
    return get_object_or_404(QuizAttempt, learner=learner, quiz=slug, number=number)


def _question_context(attempt: QuizAttempt, position: int, *, form=None, duplicate=False) -> dict:
    if not 1 <= position <= len(attempt.question_keys):
        raise Http404("That question number is not part of this quiz.")
    key = attempt.question_keys[position - 1]
    quiz, question = question_for_key(key)
    answer = attempt_answers(attempt).get(key)
    choices = attempt_choices(attempt, question)
    reveals = attempt.quiz == REVIEW or quiz.reveal_each
    is_last = position == len(attempt.question_keys)
    base = f"/quizzes/{attempt.quiz}/{attempt.number}/"
    return {
        "attempt": attempt,
        "slug": attempt.quiz,
        "quiz": quiz,
        "question": question,
        "choices": choices,
        "answer": answer,
        "chosen": question.choice(answer.choice_id) if answer else None,
        "chosen_text": answer_text(question, answer),
        "reveals": reveals,
        "spread": answer_spread(answer, choices) if answer and reveals else None,
        "duplicate": duplicate,
        "form": form,
        "ask_confidence": question.format == VERDICT and reveals,
        "confidence_choices": CONFIDENCE_CHOICES,
        "position": position,
        "total": len(attempt.question_keys),
        "action": f"{base}{position}/",
        "next_url": f"{base}results/" if is_last else f"{base}{position + 1}/",
        "is_last": is_last,
        "title": quiz.title if attempt.quiz != REVIEW else QUIZ_TITLES[REVIEW],
        "nav": "quizzes",
    }


@require_http_methods(["GET", "HEAD", "POST"])
def quiz_question(request: HttpRequest, slug: str, number: int, position: int) -> HttpResponse:
    attempt = _attempt_or_404(request, slug, number)
    context = _question_context(attempt, position)
    if request.method == "POST":
        latest = attempt_latest(learner=attempt.learner, quiz=slug)
        if latest is not None and latest.number != attempt.number:
            return _bad_request(
                request,
                "This attempt was replaced when you started the quiz again; "
                "answer in your latest attempt.",
            )
        form = AnswerForm(request.POST, question=context["question"])
        if not form.is_valid():
            if form.tampered:
                return _bad_request(
                    request, "; ".join(m for ms in form.errors.values() for m in ms)
                )
            context = _question_context(attempt, position, form=form)
        else:
            key = attempt.question_keys[position - 1]
            committed = answer_commit(
                learner=attempt.learner,
                attempt=attempt,
                key=key,
                choice_id=form.cleaned_data["choice"],
                number=form.cleaned_data["number"],
                confidence=form.cleaned_data["confidence"],
            )
            if not context["reveals"]:  # the assessment moves straight on to the next question
                if committed.duplicate:
                    return redirect(context["action"] + "?again=1")
                return redirect(context["next_url"])
            if not request.htmx or request.htmx.boosted:
                url = context["action"] + ("?again=1" if committed.duplicate else "") + "#reveal"
                return redirect(url)
            context = _question_context(attempt, position, duplicate=committed.duplicate)
    else:
        context["duplicate"] = request.GET.get("again") == "1"
    template = "lessons/quiz_question.html"
    if request.htmx and not request.htmx.boosted:
        template += "#card"  # htmx swaps just the question card in place
    return render(request, template, context)


@require_safe
def quiz_results(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    attempt = _attempt_or_404(request, slug, number)
    quiz = quiz_get(slug)
    result = attempt_result(attempt)
    return render(
        request,
        "lessons/quiz_results.html",
        {
            "result": result,
            "slug": slug,
            "quiz": quiz,
            # The assessment shows its answers only once all are in: the explanations would
            # otherwise give away the questions still open.
            "hold_back": quiz is not None and not quiz.reveal_each and not result.complete,
            "resume": attempt_next_position(attempt),
            "title": quiz.title if quiz else QUIZ_TITLES[REVIEW],
            "due": review_due(learner=attempt.learner),
            "nav": "quizzes",
        },
    )


@require_POST
def prediction_answer(request: HttpRequest, question_id: str) -> HttpResponse:
    question = get_prediction(question_id)
    if question is None:
        return _bad_request(request, "That prediction does not exist.")
    form = AnswerForm(request.POST, question=question)
    step = get_step(question.step)
    step_url = reverse("lessons:step", args=[step.number])
    if not form.is_valid():
        if form.tampered:
            return _bad_request(request, "; ".join(m for ms in form.errors.values() for m in ms))
        if not request.htmx:
            return redirect(step_url + "?prediction=empty#prediction")
        return render(
            request,
            "lessons/_prediction.html",
            prediction_context(request, step.number, form=form),
        )
    learner = learner_get(request, create=True)
    committed = prediction_commit(
        learner=learner, question=question, choice_id=form.cleaned_data["choice"]
    )
    if not request.htmx:
        again = "?prediction=again" if committed.duplicate else ""
        return redirect(step_url + again + "#prediction")
    return render(
        request,
        "lessons/_prediction.html",
        prediction_context(request, step.number, duplicate=committed.duplicate),
    )


def prediction_context(request: HttpRequest, step_number: int, *, form=None, duplicate=False):
    """What the prediction block of a step needs (empty when the step has none)."""

    question = get_predictions().get(step_number)
    if question is None:
        return {"prediction": None}
    learner = learner_get(request)
    answer = prediction_get(learner=learner, question=question)
    choices = prediction_choices(learner=learner, question=question)
    flag = request.GET.get("prediction")
    return {
        "prediction": question,
        "choices": choices,
        "answer": answer,
        "chosen": question.choice(answer.choice_id) if answer else None,
        "chosen_text": answer_text(question, answer),
        "spread": answer_spread(answer, choices) if answer else None,
        "form": form,
        "empty_error": flag == "empty" and answer is None,
        "duplicate": duplicate or (flag == "again" and answer is not None),
        "action": reverse("lessons:prediction", args=[question.id]),
    }


@require_safe
def takeaways(request: HttpRequest) -> HttpResponse:
    learner = learner_get(request)
    return render(
        request,
        "lessons/takeaways.html",
        {
            "takeaways": get_takeaways(),
            "progress": lesson_progress(learner),
            "scores": quiz_scores(learner=learner),
            "predictions": prediction_records(learner=learner),
            "due": review_due(learner=learner),
            "experiments": experiment_stats(learner=learner),
            "nav": "lesson",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "lessons/reset_confirm.html", {"nav": "progress"})
    learner = learner_get(request)
    if learner is not None:
        progress_reset(learner=learner)
    request.session.pop(SESSION_KEY, None)
    return redirect(reverse("lessons:progress") + "?reset=1")


@require_safe
def exercises(request: HttpRequest, key: bool = False) -> HttpResponse:
    """The teachers' exercise sheet; with ``key``, each part's model answer and marking notes."""
    figures = all_figures() if key else []
    return render(
        request,
        "lessons/exercises.html",
        {
            "sheet": get_exercises(),
            "key": key,
            "figures": figures,
            "guess_rows": figures_table(figures),
            "nav": "quizzes",
        },
    )
