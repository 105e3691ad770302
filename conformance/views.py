"""The evidence page: every behaviour the suite compared with a real broker, and the result."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from conformance.evidence import evidence_disagreements, evidence_summary, evidence_topics


@require_safe
def evidence(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "conformance/evidence.html",
        {
            "summary": evidence_summary(),
            "topics": evidence_topics(),
            "disagreements": evidence_disagreements(),
            "nav": "evidence",
        },
    )
