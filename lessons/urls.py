from django.urls import path

from lessons import quiz_views, views

app_name = "lessons"

urlpatterns = [
    path("", views.home, name="home"),
    path("steps/<int:number>/", views.step_detail, name="step"),
    path("progress/", views.progress_page, name="progress"),
    path("progress/step/", views.step_mark, name="step-mark"),
    path("progress/reset/", quiz_views.reset, name="reset"),
    path("takeaways/", quiz_views.takeaways, name="takeaways"),
    path("glossary/", views.glossary, name="glossary"),
    path("objectives/", views.objectives, name="objectives"),
    path("predictions/<slug:question_id>/", quiz_views.prediction_answer, name="prediction"),
    path("quizzes/", quiz_views.quiz_index, name="quizzes"),
    # Before "quizzes/<slug>/": "exercises" is a page for teachers, not a quiz.
    path("quizzes/exercises/", quiz_views.exercises, name="exercises"),
    path("quizzes/exercises/key/", quiz_views.exercises, {"key": True}, name="exercises-key"),
    # The same page as "quizzes/<slug>/" for the assessment, under the name other pages link to.
    path("quizzes/assessment/", quiz_views.quiz_detail, {"slug": "assessment"}, name="assessment"),
    path("quizzes/<slug:slug>/", quiz_views.quiz_detail, name="quiz"),
    path("quizzes/<slug:slug>/start/", quiz_views.quiz_start, name="quiz-start"),
    path(
        "quizzes/<slug:slug>/<int:number>/<int:position>/",
        quiz_views.quiz_question,
        name="quiz-question",
    ),
    path(
        "quizzes/<slug:slug>/<int:number>/results/",
        quiz_views.quiz_results,
        name="quiz-results",
    ),
]
