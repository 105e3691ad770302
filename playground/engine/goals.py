"""Scenario goals: challenges the engine can judge ("drain the backlog, nothing dead-lettered")."""

from __future__ import annotations

from .model import DELAYED, IN_FLIGHT, READY


def _sync_failures(sim):
    c = sim.sync.counts
    return c["timeout"] + c["error"] + c["rejected"]


# condition name -> (what it measures, how to read it from a simulation)
MEASURES = {
    "acked": ("messages acked", lambda s: s.counters["acked"]),
    "dead_lettered": ("messages dead-lettered", lambda s: s.counters["dead_lettered"]),
    "backlog": (
        "messages waiting or in flight",
        lambda s: s.counts[READY] + s.counts[DELAYED] + s.counts[IN_FLIGHT],
    ),
    "redriven": ("messages redriven", lambda s: s.counters["redriven"]),
    "duplicates": ("duplicate effects", lambda s: s.counters["duplicates"]),
    "duplicates_skipped": (
        "duplicates skipped by an idempotent receiver",
        lambda s: s.counters["duplicates_skipped"],
    ),
    "out_of_order": ("out-of-order completions", lambda s: s.counters["out_of_order"]),
    "lost": ("messages lost", lambda s: s.counters["lost"]),
    "sync_failures": ("sync calls failed or timed out", _sync_failures),
    "published": ("messages published", lambda s: s.counters["published"]),
    "unroutable": ("messages dropped as unroutable", lambda s: s.counters["unroutable"]),
    "kills": ("receivers killed", lambda s: s.counters["kills"]),
    "receivers_alive": ("receivers alive", lambda s: sum(r.alive for r in s.receivers.values())),
    "time": ("seconds simulated", lambda s: s.now),
}

CONDITIONS = {f"{bound}_{name}" for name in MEASURES for bound in ("min", "max")}


def goal_progress(sim, goal):
    """Each condition of ``goal`` with its target, current value and whether it holds."""
    out = []
    for key, target in goal.items():
        if key not in CONDITIONS:
            continue
        bound, name = key.split("_", 1)
        label, measure = MEASURES[name]
        value = measure(sim)
        ok = value >= target if bound == "min" else value <= target
        out.append(
            {
                "condition": key,
                "label": label,
                "bound": bound,
                "target": target,
                "value": value,
                "ok": ok,
            }
        )
    return out


def goal_met(sim, goal):
    """True when every condition of ``goal`` holds right now."""
    return all(c["ok"] for c in goal_progress(sim, goal))
