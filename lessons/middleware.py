"""A readable page for "method not allowed" (Django's own 405 response has an empty body)."""

from django.shortcuts import render


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", {"method": request.method}, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
