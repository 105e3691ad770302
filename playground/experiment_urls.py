from django.urls import path

from playground import views

app_name = "experiments"

urlpatterns = [
    path("<slug:experiment_id>/", views.experiment_page, name="detail"),
    path("<slug:experiment_id>/predict/", views.experiment_predict, name="predict"),
    path("<slug:experiment_id>/finish/", views.experiment_finish, name="finish"),
]
