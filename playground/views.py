from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playground.catalog import scenario_names


@require_GET
def playground(request: HttpRequest, scenario: str = "sandbox") -> HttpResponse:
    if scenario not in scenario_names():
        raise Http404(f"There is no playground scenario called “{scenario}”.")
    return render(
        request, "playground/playground.html", {"scenario": scenario, "nav": "playground"}
    )
