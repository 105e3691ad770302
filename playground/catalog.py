"""What scenarios the playground offers, read from the engine's scenario data files."""

from pathlib import Path

SCENARIOS_DIR = Path(__file__).resolve().parent / "engine" / "scenarios"


def scenario_names() -> frozenset[str]:
    """Names of every playground scenario (one TOML file each)."""
    return frozenset(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
