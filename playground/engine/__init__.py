"""Decoupled's simulation engine: a truthful, deterministic message-queue simulator.

Pure Python standard library; no Django. Start here::

    from playground.engine import Simulation
    sim = Simulation.from_scenario("poison-message", seed=42)
    sim.apply({"action": "burst", "n": 5})
    sim.advance(2.0)
    sim.view()

See README.md in this folder for the whole public API.
"""

from .commands import COMMANDS, Command, CommandError, parse_command
from .events import EVENT_FIELDS, EVENT_GROUPS, EVENT_KINDS, NOTABLE, SCHEMA_VERSION
from .invariants import check_invariants
from .profiles import PROFILES, Profile
from .scenarios import Scenario, ScenarioError, list_scenarios, load_scenario
from .simulation import Simulation

__all__ = [
    "COMMANDS",
    "EVENT_FIELDS",
    "EVENT_GROUPS",
    "EVENT_KINDS",
    "NOTABLE",
    "PROFILES",
    "SCHEMA_VERSION",
    "Command",
    "CommandError",
    "Profile",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "check_invariants",
    "list_scenarios",
    "load_scenario",
    "parse_command",
]
