"""Playground pages: thin. The live part runs in playground.consumers."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from lessons.progress import learner_get
from playground import runs
from playground.catalog import scenario_names, scenario_summaries
from playground.live import LiveSession


@require_GET
def playground(request: HttpRequest, scenario: str = "sandbox") -> HttpResponse:
    if scenario not in scenario_names():
        raise Http404(f"There is no playground scenario called “{scenario}”.")
    learner = learner_get(request, create=True)
    sim = runs.run_load(learner_id=learner.pk, scenario=scenario)
    session = LiveSession(scenario, sim)
    return render(
        request,
        "playground/playground.html",
        {
            **session.page_context(),
            "scenario": scenario,
            "scenarios": scenario_summaries(),
            "nav": "playground",
        },
    )


@require_GET
def shared_run(request: HttpRequest, slug: str) -> HttpResponse:
    learner = learner_get(request, create=True)
    shared = runs.share_open(slug=slug, learner_id=learner.pk)
    if shared is None:
        raise Http404("That shared run does not exist (the link may be mistyped).")
    return redirect("playground:scenario", scenario=shared.scenario)
