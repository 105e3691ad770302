from django.http import HttpRequest

from lessons.content import get_steps


def site(request: HttpRequest) -> dict:
    """What every page's frame needs: the site name and the lesson's length."""
    return {"site_name": "Decoupled", "step_count": len(get_steps())}
