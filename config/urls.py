from django.urls import include, path

urlpatterns = [
    path("", include("lessons.urls")),
    path("playground/", include("playground.urls")),
    path("experiments/", include("playground.experiment_urls")),
    path("evidence/", include("conformance.urls")),
]

handler404 = "lessons.views.page_not_found"
