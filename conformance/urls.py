from django.urls import path

from conformance import views

app_name = "conformance"

urlpatterns = [
    path("", views.evidence, name="evidence"),
]
