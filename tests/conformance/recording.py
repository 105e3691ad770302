"""The results file: what the suite found, committed with the code for learners to read.

``conformance/results.json`` (data, read by the evidence page) holds the broker's version,
the date of the run, and for every behaviour its script summary, the engine profile that
stood for it, what the broker and the engine each saw, and the status:

- ``agrees`` / ``disagrees``: compared against a broker of a matching version;
- ``not modelled``: the engine cannot express it yet (the broker's outcome is still shown);
- ``not checked``: no broker of a matching version was at hand (e.g. a 4.x-only rule).

``make conformance`` rewrites it (``CONFORMANCE_RECORD=1``): broker outcomes from the live
run, engine outcomes recomputed. Without a broker it refreshes the engine side only.
"""

from __future__ import annotations

import datetime
import json
from importlib import metadata
from pathlib import Path

from engine_driver import NotExpressible, engine_profile, run_on_engine
from outcomes import describe

ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = ROOT / "conformance" / "results.json"
SCHEMA = 1


def results_load(path: Path = RESULTS_PATH) -> dict:
    """The committed results (an empty skeleton if there are none yet)."""
    if not path.exists():
        return {"broker": {"version": ""}, "recorded": "", "behaviours": []}
    return json.loads(path.read_text(encoding="utf-8"))


def engine_outcome(behaviour) -> dict | None:
    if behaviour.engine == "not modelled":
        return None
    try:
        return run_on_engine(behaviour)
    except NotExpressible:
        return None


def status_of(behaviour, broker_version: str, broker_outcome, engine) -> str:
    if not behaviour.applies_to(broker_version) or broker_outcome is None:
        return "not checked"
    if engine is None:
        return "not modelled"
    return "agrees" if engine == broker_outcome else "disagrees"


def row_build(behaviour, broker_version: str, broker_outcome) -> dict:
    engine = engine_outcome(behaviour)
    status = status_of(behaviour, broker_version, broker_outcome, engine)
    row = {
        **behaviour.summary(),
        "engine_profile": engine_profile(behaviour.queue_type),
        "status": status,
        "engine_note": behaviour.engine_note if status != "agrees" else "",
        "fix": behaviour.fix if status == "disagrees" else "",
        "broker_saw": describe(broker_outcome) if broker_outcome is not None else [],
        "engine_saw": describe(engine) if engine is not None else [],
        "broker_outcome": broker_outcome,
        "engine_outcome": engine,
    }
    if status == "not checked":
        row["not_checked_reason"] = (
            f"needs RabbitMQ {behaviour.versions}; the broker here is {broker_version}"
            if behaviour.versions and not behaviour.applies_to(broker_version)
            else "no broker outcome recorded"
        )
    return row


def results_build(behaviours, broker_version: str, broker_outcomes: dict, recorded: str) -> dict:
    rows = [row_build(b, broker_version, broker_outcomes.get(b.id)) for b in behaviours]
    count = {s: sum(r["status"] == s for r in rows) for s in ("agrees", "disagrees")}
    return {
        "schema": SCHEMA,
        "broker": {"product": "RabbitMQ", "version": broker_version},
        "client": f"pika {metadata.version('pika')}",
        "recorded": recorded,
        "summary": {
            "behaviours": len(rows),
            "compared": count["agrees"] + count["disagrees"],
            "agree": count["agrees"],
            "disagree": count["disagrees"],
            "not_modelled": sum(r["status"] == "not modelled" for r in rows),
            "not_checked": sum(r["status"] == "not checked" for r in rows),
        },
        "behaviours": rows,
    }


def results_write(data: dict, path: Path = RESULTS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def today() -> str:
    return datetime.date.today().isoformat()
