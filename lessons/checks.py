"""A system check: the site refuses to start on broken lesson content."""

from django.core.checks import Error, register

from lessons.content import ContentError, load_steps


@register()
def lesson_content_check(app_configs, **kwargs):
    try:
        load_steps()
    except ContentError as exc:
        return [Error(f"Lesson content is invalid: {exc}", id="lessons.E001")]
    return []
