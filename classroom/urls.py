from django.urls import path

from classroom import views

app_name = "classroom"

teacher = "classroom/t/<str:key>/"

urlpatterns = [
    path("classroom/", views.landing, name="landing"),
    path("classroom/new/", views.create, name="create"),
    path(teacher, views.dashboard, name="dashboard"),
    path(teacher + "live/roster/", views.dashboard_part, {"part": "roster"}, name="live-roster"),
    path(teacher + "live/answers/", views.dashboard_part, {"part": "answers"}, name="live-answers"),
    path(teacher + "qr.svg", views.join_qr, name="qr"),
    path(teacher + "roster.csv", views.export_roster, name="roster-csv"),
    path(teacher + "answers.csv", views.export_spread, name="spread-csv"),
    path(teacher + "rotate/", views.rotate, name="rotate"),
    path(teacher + "joins/", views.joins, name="joins"),
    path(teacher + "delete/", views.delete_confirm, name="delete-confirm"),
    path(teacher + "delete/confirm/", views.delete, name="delete"),
    path("join/", views.join, name="join"),
    path("join/submit/", views.join_submit, name="join-submit"),
    path("join/<str:code>/", views.student, name="student"),
    path("join/<str:code>/leave/", views.leave, name="leave"),
]
