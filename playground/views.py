"""Playground pages: thin. The live part runs in playground.consumers."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.text import text_clean
from lessons.progress import learner_get
from playground import experiment_runs, runs
from playground.catalog import scenario_names, scenario_summaries
from playground.engine import experiments as X
from playground.engine import load_scenario
from playground.live import ExperimentSession, LiveSession, experiment_status


@require_safe
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
            "speeds": ("0.25", "0.5", "1", "2", "4"),
            "nav": "playground",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def shared_run(request: HttpRequest, slug: str) -> HttpResponse:
    """A shared run: GET asks first (it replaces the learner's own run), POST replays it."""
    shared = runs.share_get(slug=slug)
    if shared is None:
        raise Http404("That shared run does not exist (the link may be mistyped).")
    if request.method == "GET":
        info = load_scenario(shared.scenario).summary()
        return render(
            request,
            "playground/share_confirm.html",
            {"shared": shared, "info": info, "nav": "playground"},
        )
    learner = learner_get(request, create=True)
    runs.share_open(slug=slug, learner_id=learner.pk)
    return redirect("playground:scenario", scenario=shared.scenario)


def experiment_block(request: HttpRequest, exp, *, live_allowed: bool = True, **extra) -> dict:
    """The context of one experiment block: predict, live run, or the decided result."""
    learner = learner_get(request)
    run = experiment_runs.experiment_latest(learner=learner, experiment_id=exp.id)
    here = request.get_full_path() if request.method == "GET" else None
    next_url = here or _safe_next(request, f"/experiments/{exp.id}/")
    context = {"exp": exp, "next_url": next_url, "variation": False, **extra}
    if extra.get("mode") == "predict":
        return context
    if run is None:
        return {**context, "mode": "predict"}
    context["variation"] = run.variation
    if run.decided_at is not None:
        status = render_to_string(
            "playground/_experiment_status.html",
            experiment_status(exp, run, live=False),
            request=request,
        )
        return {**context, "mode": "done", "status": status}
    if not live_allowed:
        return {**context, "mode": "elsewhere"}
    loaded = experiment_runs.experiment_load(learner_id=learner.pk, run_id=run.pk)
    if loaded is None:
        return {**context, "mode": "predict"}
    session = ExperimentSession(*loaded)
    return {**context, "mode": "live", "run_id": run.pk, **session.page_context()}


def experiment_blocks(request: HttpRequest, experiments) -> list[dict]:
    """Blocks for several experiments on one page: only one of them may run live at a time."""
    blocks, live_taken = [], False
    for exp in experiments:
        block = experiment_block(request, exp, live_allowed=not live_taken)
        live_taken = live_taken or block["mode"] == "live"
        blocks.append(block)
    return blocks


@require_safe
def experiment_page(request: HttpRequest, experiment_id: str) -> HttpResponse:
    exp = _experiment_or_404(experiment_id)
    learner_get(request, create=True)
    return render(
        request,
        "playground/experiment.html",
        {"xblock": experiment_block(request, exp), "exp": exp, "nav": "playground"},
    )


@require_POST
def experiment_predict(request: HttpRequest, experiment_id: str) -> HttpResponse:
    exp = _experiment_or_404(experiment_id)
    variation = request.POST.get("variation", "0")
    if variation not in ("0", "1"):
        return render(
            request,
            "400.html",
            {"message": "The variation flag must be 0 or 1.", "what": "start that experiment"},
            status=400,
        )
    target = _safe_next(request, f"/experiments/{exp.id}/") + f"#experiment-{exp.id}"
    if request.POST.get("again") == "1":  # show the form for a new prediction
        block = experiment_block(request, exp, mode="predict", variation=variation == "1")
        return _block_response(request, block, target)
    learner = learner_get(request, create=True)
    try:
        run = experiment_runs.experiment_predict(
            learner=learner,
            exp=exp,
            raw=text_clean(request.POST.get("prediction", "")),
            variation=variation == "1",
        )
    except X.ExperimentError as exc:
        message = str(exc)
        block = experiment_block(
            request,
            exp,
            mode="predict",
            variation=variation == "1",
            error=message[:1].upper() + message[1:] + ".",
        )
        return _block_response(request, block, target, status=200 if request.htmx else 400)
    if not request.htmx:
        # Without JavaScript there is no live view: the engine runs it to its decision now.
        experiment_runs.experiment_finish(learner_id=learner.pk, run_id=run.pk)
        return redirect(target)
    response = render(request, "playground/_experiment.html", experiment_block(request, exp))
    # The step's other experiments leave live mode (out-of-band), so only one runs at a time.
    others = [
        render_to_string(
            "playground/_experiment_block.html",
            {"b": experiment_block(request, other, live_allowed=False), "oob": True},
            request=request,
        )
        for other in (X.experiments_for_step(exp.step) if exp.step else [])
        if other.id != exp.id
    ]
    response.content += "".join(others).encode()
    return response


@require_POST
def experiment_finish(request: HttpRequest, experiment_id: str) -> HttpResponse:
    """No JavaScript: run the learner's current run of this experiment to its decision."""
    exp = _experiment_or_404(experiment_id)
    learner = learner_get(request)
    run = experiment_runs.experiment_latest(learner=learner, experiment_id=exp.id)
    if run is not None and run.decided_at is None:
        experiment_runs.experiment_finish(learner_id=learner.pk, run_id=run.pk)
    target = _safe_next(request, f"/experiments/{exp.id}/") + f"#experiment-{exp.id}"
    return redirect(target)


def _block_response(request, block, target, status=200) -> HttpResponse:
    if request.htmx:
        return render(request, "playground/_experiment.html", block, status=status)
    return render(
        request,
        "playground/experiment.html",
        {"xblock": block, "exp": block["exp"], "nav": "playground"},
        status=status,
    )


def _experiment_or_404(experiment_id: str):
    try:
        return X.get_experiment(experiment_id)
    except X.ExperimentError:
        raise Http404(f"There is no experiment called “{experiment_id}”.") from None


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate.split("#")[0]
    return default
