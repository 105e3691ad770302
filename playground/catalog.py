"""What scenarios the playground offers, read from the engine's scenario data files."""

from functools import cache

from playground.engine import list_scenarios, load_scenario


def scenario_names() -> frozenset[str]:
    """Names of every playground scenario (one TOML file each)."""
    return frozenset(list_scenarios())


@cache
def scenario_summaries() -> tuple[dict, ...]:
    """Title, description and profile of every scenario, in lesson order."""
    return tuple(load_scenario(name).summary() for name in list_scenarios())


def scenario_title(name: str) -> str:
    """A scenario's title as learners see it (the name itself if there is no such scenario)."""
    for summary in scenario_summaries():
        if summary["name"] == name:
            return summary["title"]
    return name
