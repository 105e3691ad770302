from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on their own: send them to the SVG icon pages link to.

    The target is looked up per request, because in production it is a hashed file name
    that exists only once ``collectstatic`` has run.
    """

    def get_redirect_url(self, *args, **kwargs):
        return static("img/favicon.svg")


urlpatterns = [
    path("", include("lessons.urls")),
    path("favicon.ico", FaviconView.as_view()),
    path("playground/", include("playground.urls")),
    path("experiments/", include("playground.experiment_urls")),
    path("evidence/", include("conformance.urls")),
    path("", include("classroom.urls")),
]

handler404 = "lessons.views.page_not_found"
