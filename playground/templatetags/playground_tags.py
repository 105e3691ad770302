"""Template filters for naming playground things the way learners see them."""

from django import template

from playground.catalog import scenario_title as _scenario_title

register = template.Library()


@register.filter
def scenario_title(name: str) -> str:
    """``{{ step.scenario|scenario_title }}``: "ordering" -> "Order is not automatic"."""
    return _scenario_title(name)
