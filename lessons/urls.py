from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("", views.home, name="home"),
    path("steps/<int:number>/", views.step_detail, name="step"),
    path("progress/", views.progress_page, name="progress"),
    path("progress/step/", views.step_mark, name="step-mark"),
]
