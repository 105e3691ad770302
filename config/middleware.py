"""Site-wide HTTP middleware: how every page is cached, and what a learner sees when the
database is down.

Static files never reach these: WhiteNoise answers them earlier in ``MIDDLEWARE`` and keeps
their own (public, far-future for hashed names) caching.
"""

from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """HTML pages are for one browser only: ``Cache-Control: private``.

    Pages carry a learner's progress, a CSRF token and a per-request CSP nonce, so a shared
    cache (a proxy, a CDN) must never keep one and hand it to someone else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_cache_control(response, private=True)
        return response


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached gives a calm 503 page instead of a generic 500.

    With the connect and statement timeouts in settings, a hung database fails within
    seconds; this turns that failure into a page that says what happened and that nothing
    the learner did is lost. The page is rendered without touching the database.
    """

    RETRY_AFTER_SECONDS = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
