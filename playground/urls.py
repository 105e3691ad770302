from django.urls import path

from playground import views

app_name = "playground"

urlpatterns = [
    path("", views.playground, name="sandbox"),
    path("share/<slug:slug>/", views.shared_run, name="shared"),
    path("<slug:scenario>/", views.playground, name="scenario"),
]
