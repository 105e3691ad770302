"""The conformance evidence: what the suite found when it ran the simulator next to RabbitMQ.

Reads ``conformance/results.json`` (written by ``make conformance``, checked by
``tests/conformance``) and shapes it for the evidence page and for the one-line summary the
playground shows next to a broker profile. Pure data in, plain dicts out: no rules of its own.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from playground.engine import PROFILES

RESULTS_PATH = Path(__file__).with_name("results.json")
STATUS_LABELS = {
    "agrees": "Agrees",
    "disagrees": "Disagrees",
    "not modelled": "Not modelled yet",
    "not checked": "Not checked",
}
COMPARED = ("agrees", "disagrees")


@functools.cache
def evidence_load() -> dict:
    """The results file as recorded (cached: it only changes with a deployment)."""
    return json.loads(RESULTS_PATH.read_text(encoding="utf-8"))


def _profile_label(key: str) -> str:
    profile = PROFILES.get(key)
    return profile.label if profile is not None else key


@functools.cache
def evidence_summary(profile_key: str | None = None) -> dict:
    """How many behaviours agree, for one engine profile (or all of them).

    ``checked`` is False when no behaviour of that profile was compared with a real broker;
    the template then says so instead of showing a figure. Cached: the playground's clock
    shows it on every tick. Callers must not change the dict.
    """
    data = evidence_load()
    rows = [
        r for r in data["behaviours"] if profile_key is None or r["engine_profile"] == profile_key
    ]
    compared = [r for r in rows if r["status"] in COMPARED]
    return {
        "checked": bool(compared),
        "product": data["broker"]["product"],
        "version": data["broker"]["version"],
        "recorded": data["recorded"],
        "client": data["client"],
        "agree": sum(r["status"] == "agrees" for r in compared),
        "disagree": sum(r["status"] == "disagrees" for r in compared),
        "compared": len(compared),
        "not_modelled": sum(r["status"] == "not modelled" for r in rows),
        "not_checked": sum(r["status"] == "not checked" for r in rows),
        "behaviours": len(rows),
        "profile": profile_key,
        "profile_label": _profile_label(profile_key) if profile_key else "",
    }


def evidence_topics() -> list[dict]:
    """Every behaviour, grouped by topic in the suite's order, ready for the evidence page."""
    topics: dict[str, list[dict]] = {}
    for row in evidence_load()["behaviours"]:
        item = {
            **row,
            "status_label": STATUS_LABELS[row["status"]],
            "status_class": row["status"].replace(" ", "-"),
            "profile_label": _profile_label(row["engine_profile"]),
            "anchor": "b-" + row["id"],
        }
        topics.setdefault(row["topic"], []).append(item)
    return [
        {"title": title, "anchor": "t-" + str(i), "behaviours": items}
        for i, (title, items) in enumerate(topics.items(), start=1)
    ]


def evidence_disagreements() -> list[dict]:
    """The behaviours the simulator gets wrong today, for the page's short list at the top."""
    return [
        {"id": r["id"], "title": r["title"], "anchor": "b-" + r["id"]}
        for r in evidence_load()["behaviours"]
        if r["status"] == "disagrees"
    ]
