from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = "Lessons and quizzes"

    def ready(self) -> None:
        from lessons import checks  # noqa: F401  (registers the content system check)
