"""Thin views: read the request, call a service, render one template."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from lessons.answers import prediction_records, quiz_scores, review_due
from lessons.content import get_step, get_steps, lesson_minutes
from lessons.forms import StepDoneForm
from lessons.glossary import get_glossary, get_terms
from lessons.progress import learner_get, lesson_progress, step_set_done, step_visit
from lessons.quiz_views import prediction_context
from playground.engine.experiments import experiments_for_step
from playground.experiment_runs import experiment_stats
from playground.views import experiment_blocks


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    learner = learner_get(request)
    return render(
        request,
        "lessons/home.html",
        {
            "progress": lesson_progress(learner),
            "scores": quiz_scores(learner=learner),
            "due": review_due(learner=learner),
            "lesson_minutes": lesson_minutes(),
            "glossary_size": len(get_terms()),
            "nav": "home",
        },
    )


@require_safe
def step_detail(request: HttpRequest, number: int) -> HttpResponse:
    step = get_step(number)
    if step is None:
        raise Http404(f"There is no step {number}: the lesson has {len(get_steps())} steps.")
    learner = learner_get(request, create=True)
    step_visit(learner=learner, step=step.number)
    progress = lesson_progress(learner)
    return render(
        request,
        "lessons/step.html",
        {
            "step": step,
            "state": progress.state_for(step.number),
            "progress": progress,
            "previous": get_step(number - 1),
            "next": get_step(number + 1),
            "nav": "lesson",
            **prediction_context(request, step.number),
            "experiments": experiment_blocks(request, experiments_for_step(step.number)),
        },
    )


@require_safe
def progress_page(request: HttpRequest) -> HttpResponse:
    learner = learner_get(request)
    return render(
        request,
        "lessons/progress.html",
        {
            "progress": lesson_progress(learner),
            "scores": quiz_scores(learner=learner),
            "predictions": prediction_records(learner=learner),
            "due": review_due(learner=learner),
            "was_reset": request.GET.get("reset") == "1",
            "experiments": experiment_stats(learner=learner),
            "nav": "progress",
        },
    )


@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/glossary.html", {"entries": get_glossary(), "nav": "lesson"})


@require_safe
def objectives(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/objectives.html", {"steps": get_steps(), "nav": "lesson"})


@require_POST
def step_mark(request: HttpRequest) -> HttpResponse:
    form = StepDoneForm(request.POST)
    if not form.is_valid():
        return render(
            request, "400.html", {"errors": form.errors, "what": "mark a step"}, status=400
        )
    number, done = form.cleaned_data["step"], form.cleaned_data["done"]
    step_set_done(learner=learner_get(request, create=True), step=number, done=done)
    following = get_step(number + 1)
    if done and following is not None:
        return redirect(reverse("lessons:step", args=[following.number]))
    return redirect(reverse("lessons:step", args=[number]) + "#step-status")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"message": message, "steps": get_steps()}, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
