"""System checks: the site refuses to start on broken lesson content.

The content loader validates the steps, their objectives and diagrams, the glossary, and that
every glossary term is used; the glossary's address, which the renderer writes into the
steps' term links, must be the address the URL configuration really serves.
"""

from django.core.checks import Error, register
from django.urls import NoReverseMatch, reverse

from lessons.content import GLOSSARY_HREF, ContentError, load_steps


@register()
def quiz_content_check(app_configs, **kwargs):
    """The quizzes, predictions, assessment and exercise sheet load, or the site does not start."""
    from lessons.quizzes import get_assessment, get_exercises, get_predictions, get_quizzes

    try:
        get_quizzes(), get_predictions(), get_assessment(), get_exercises()
    except ContentError as exc:
        return [Error(f"Quiz content is invalid: {exc}", id="lessons.E002")]
    return []


@register()
def lesson_content_check(app_configs, **kwargs):
    try:
        load_steps()
    except ContentError as exc:
        return [Error(f"Lesson content is invalid: {exc}", id="lessons.E001")]
    return []


@register()
def glossary_address_check(app_configs, **kwargs):
    try:
        served = reverse("lessons:glossary")
    except NoReverseMatch:
        served = None
    if served != GLOSSARY_HREF:
        return [
            Error(
                f"Term links point to {GLOSSARY_HREF}, but the glossary is served at {served}",
                hint="Change GLOSSARY_HREF in lessons/content.py or the URL in lessons/urls.py.",
                id="lessons.E002",
            )
        ]
    return []
