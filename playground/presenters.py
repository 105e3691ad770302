"""From the engine's view dict to what templates show: words, formatted numbers, chart points.

Numbers are formatted here in Python, not with template filters: rendering fragments many
times a second is the playground's hot path, and plain strings render fastest.
"""

from __future__ import annotations

from playground.engine.events import EVENT_GROUPS, EVENT_KINDS, NOTABLE, kinds_in_group
from playground.protocol import EVENT_FILTERS

STATE_LABELS = {
    "delayed": "waiting to retry",
    "ready": "ready in the queue",
    "in_flight": "in flight",
    "acked": "acknowledged",
    "dead_lettered": "in the dead-letter queue",
    "dropped": "dropped",
    "refused": "refused at publish",
    "lost": "lost",
}

# The log filter's groups, from the engine's one table of event kinds.
FILTER_KINDS = {group: kinds_in_group(group) for group in EVENT_GROUPS}

COUNTERS = (
    ("published", "Sent"),
    ("acked", "Acknowledged"),
    ("retried", "Retried"),
    ("redelivered", "Redelivered"),
    ("dead_lettered", "Dead-lettered"),
    ("dropped", "Dropped"),
    ("refused", "Refused"),
    ("lost", "Lost"),
    ("duplicates", "Duplicate effects"),
    ("out_of_order", "Out of order"),
)


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 10:
        return f"{value:.1f} s"
    return f"{value:.0f} s"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}/s"


def load_context(load: dict) -> dict:
    """A queue's load readouts (engine/load.py) as the words and numbers a learner reads."""
    growth = load["growth"]
    if load["drain_time"] == 0.0:
        drain = "empty"
    elif load["drain_time"] is not None:
        drain = f"drains in about {seconds(load['drain_time'])} at these rates"
    elif growth is not None and growth > 0.05:
        drain = f"never drains at these rates: grows by {_rate(growth)}"
    elif growth is None:
        drain = "–"
    else:
        drain = "keeping up"
    little = None
    if load["little_l"] is not None and load["average_in_system"] is not None:
        little = {
            "lam": _rate(load["departure_rate"]),
            "w": seconds(load["sojourn"]),
            "lw": f"{load['little_l']:.1f}",
            "l": f"{load['average_in_system']:.1f}",
            # Little's law holds for a system in a steady state; a growing one is not.
            "steady": growth is not None and abs(growth) <= 0.2,
        }
    limit = "no limit"
    if load["max_length"]:
        limit = f"max length {load['max_length']}, {load['overflow']}"
    return {
        "window": f"{load['window']:.0f}",
        "limit": limit,
        "arrival": _rate(load["arrival_rate"]),
        "accepted": _rate(load["accepted_rate"]),
        "throughput": _rate(load["throughput"]),
        "oldest": seconds(load["oldest_age"]) if load["oldest_age"] is not None else "none waiting",
        "in_system": load["in_system"],
        "predicted_wait": seconds(load["predicted_wait"]),
        "drain": drain,
        "refused": load["refused"],
        "refused_rate": _rate(load["refused_rate"]),
        "shed": load["shed"],
        "shed_rate": _rate(load["shed_rate"]),
        "little": little,
    }


def percent(value: float | None) -> int:
    return 0 if value is None else max(0, min(100, round(value * 100)))


def _msg(e: dict) -> str:
    return f"Message {e['message']}" if e["message"] is not None else ""


def _why(e: dict, sep: str = ": ") -> str:
    return f"{sep}{e['reason']}" if e["reason"] else ""


def _delivered(e: dict) -> str:
    who = f" to {e['receiver']}" if e["receiver"] else ""
    again = " — redelivered" if e["attempt"] and e["attempt"] > 1 else ""
    return f"{_msg(e)} delivered{who} (delivery {e['attempt']}){again}"


def _dead_lettered(e: dict) -> str:
    n = e["attempt"]
    times = "delivery" if n == 1 else "deliveries"
    why = f" ({e['reason']})" if e["reason"] else ""
    return f"{_msg(e)} moved to the dead-letter queue after {n} {times}{why}"


def _call(e: dict) -> str:
    return f"Sync call {e['attempt']} {e['reason'] or 'started'}"


# One sentence per event kind (keyed by the engine's wording key; a test holds them equal).
EVENT_TEXT = {
    "published": lambda e: f"{_msg(e)} published",
    "refused": lambda e: f"{_msg(e)} refused at publish{_why(e)}",
    "dropped": lambda e: f"{_msg(e)} dropped{_why(e)}",
    "delivered": _delivered,
    "failed": lambda e: f"{_msg(e)} failed at {e['receiver']} (attempt {e['attempt']})",
    "delayed": lambda e: f"{_msg(e)} will be retried after a backoff",
    "ready": lambda e: f"{_msg(e)} is ready again",
    "requeued": lambda e: f"{_msg(e)} went back to the queue{_why(e)}",
    "acked": lambda e: f"{_msg(e)} acknowledged by {e['receiver']}",
    "dead_lettered": _dead_lettered,
    "lost": lambda e: f"{_msg(e)} lost{_why(e)}",
    "redriven": lambda e: f"{_msg(e)} redriven from the dead-letter queue{_why(e, ' — ')}",
    "publish_backoff": lambda e: (
        f"{_msg(e)} refused (“full, retry later”): the sender backs off{_why(e, '; ')}"
    ),
    "publish_gave_up": lambda e: f"The sender gave up on {_msg(e).lower()}{_why(e)}",
    "ack_rejected": lambda e: (
        f"Acknowledgement of {_msg(e).lower() or 'a message'} rejected{_why(e)}"
    ),
    "duplicate_effect": lambda e: (
        f"{_msg(e)} processed twice by {e['receiver']}: a duplicate effect"
    ),
    "duplicate_skipped": lambda e: f"{_msg(e)} seen again by {e['receiver']}, skipped (idempotent)",
    "receiver_added": lambda e: f"Receiver {e['receiver']} added",
    "receiver_killed": lambda e: f"Receiver {e['receiver']} killed",
    "receiver_crashed": lambda e: f"Receiver {e['receiver']} crashed",
    "receiver_revived": lambda e: f"Receiver {e['receiver']} is back",
    "receiver_removed": lambda e: f"Receiver {e['receiver']} removed",
    "death_detected": lambda e: f"The broker noticed {e['receiver']} is gone{_why(e)}",
    "call_started": _call,
    "call_ok": _call,
    "call_timeout": _call,
    "call_error": _call,
    "call_rejected": lambda e: f"Sync call rejected{_why(e)}",
    "profile": lambda e: f"Broker profile changed{_why(e, ' to ')}",
    "returns_changed": lambda e: f"Unacknowledged messages now return differently{_why(e)}",
    "goal_met": lambda e: "Goal met!",
}


def event_text(e: dict) -> str:
    """One event as a sentence a learner can read."""
    return EVENT_TEXT[EVENT_KINDS[e["kind"]].wording_key](e)


# How the narration counts ordinary events: kind -> (one, many).
ORDINARY_WORDS = {
    "published": ("message published", "messages published"),
    "delivered": ("delivery", "deliveries"),
    "acked": ("acknowledged", "acknowledged"),
    "failed": ("failed attempt", "failed attempts"),
    "delayed": ("retry scheduled", "retries scheduled"),
    "requeued": ("returned to the queue", "returned to the queue"),
    "call_ok": ("sync call answered", "sync calls answered"),
}


def narration_text(
    events: list[dict], notable: frozenset[str] = NOTABLE, *, log_shown: bool = True
) -> str:
    """One sentence about what happened since the last narration ("" if nothing did).

    The most recent notable event if there was one; otherwise a count of the ordinary ones,
    so a learner who sends a burst hears (and sees) that it went out.
    """
    remarkable = [e for e in events if e["kind"] in notable]
    if remarkable:
        text = event_text(remarkable[-1]) + "."
        more = len(remarkable) - 1
        if more and log_shown:
            text += f" ({more} more notable event{'s' if more > 1 else ''} in the log.)"
        elif more:
            text += f" ({more} more like it.)"
        return text
    counts: dict[str, int] = {}
    for e in events:
        if e["kind"] in ORDINARY_WORDS:
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    parts = [
        f"{n} {ORDINARY_WORDS[kind][0 if n == 1 else 1]}"
        for kind, n in sorted(counts.items(), key=lambda kv: list(ORDINARY_WORDS).index(kv[0]))
    ]
    return ("; ".join(parts) + ".").capitalize() if parts else ""


def event_rows(events: list[dict], flt: str, cache: dict | None = None) -> list[dict]:
    """The log's rows, newest first. ``cache`` (seq -> row) saves re-wording old events."""
    cache = {} if cache is None else cache
    group = FILTER_KINDS.get(flt)
    rows = []
    for e in events:
        if group is not None and e["kind"] not in group:
            continue
        row = cache.get(e["seq"])
        if row is None:
            row = cache[e["seq"]] = _row(e)
        rows.append(row)
    if len(cache) > 200:  # keep only recent rows
        for seq in sorted(cache)[:-100]:
            del cache[seq]
    rows.reverse()
    return rows


def _row(e: dict) -> dict:
    return {
        "seq": e["seq"],
        "time": f"{e['time']:.1f}",
        "kind": e["kind"],
        "text": event_text(e),
        "message": e["message"],
    }


def _points(values: list[float], width: int, height: int, top: float) -> str:
    if not values:
        return ""
    n = len(values)
    step = width / max(1, n - 1)
    scale = height / top if top else 0
    return " ".join(f"{i * step:.1f},{height - v * scale:.1f}" for i, v in enumerate(values))


def chart_context(series: dict | None, width: int = 300, height: int = 80) -> dict:
    """Three small line charts as SVG point lists, with their latest values in words."""
    if not series or not series.get("t"):
        return {"empty": True, "width": width, "height": height}
    last = slice(-60, None)
    depth = [float(v) for v in series["ready"][last]]
    acked = [float(v) for v in series["acked"][last]]
    blocked = [float(v or 0) for v in series["sync_blocked"][last]]
    depth_top = max(1.0, max(depth))
    acked_top = max(1.0, max(acked))
    blocked_top = max(1.0, max(blocked))
    return {
        "empty": False,
        "width": width,
        "height": height,
        "depth_points": _points(depth, width, height, depth_top),
        "depth_top": f"{depth_top:.0f}",
        "depth_now": f"{depth[-1]:.0f}",
        "acked_points": _points(acked, width, height, acked_top),
        "acked_top": f"{acked_top:.0f}",
        "acked_now": f"{acked[-1]:.0f}",
        "blocked_points": _points(blocked, width, height, blocked_top),
        "async_points": _points([0.0] * len(blocked), width, height, blocked_top),
        "blocked_top": f"{blocked_top:.1f}",
        "blocked_now": f"{blocked[-1]:.1f}",
        "span": len(depth),
    }


# How many tokens the stage draws in each place; the rest is a count ("+12 more").
HEAD_TOKENS = 6  # the head of a queue
DELAYED_TOKENS = 4  # waiting out a retry delay
HELD_TOKENS = 3  # held by a receiver
DONE_TOKENS = 4  # just acknowledged
DLQ_TOKENS = 3  # in the dead-letter queue (each with its Redrive)


def card(c: dict, now: float | None = None) -> dict:
    out = dict(c)
    if "countdown" in c:
        out["countdown_text"] = seconds(c["countdown"])
    return out


def queue_context(q: dict) -> dict:
    """One queue on the stage: its head tokens and a count, never a wall of them."""
    ready = [card(c) for c in q["ready"][:HEAD_TOKENS]]
    delayed = [card(c) for c in q["delayed"][:DELAYED_TOKENS]]
    return {
        **q,
        "ready": ready,
        "ready_more": q["depth"] - len(ready),
        "delayed": delayed,
        "delayed_more": q["delayed_count"] - len(delayed),
    }


def receiver_context(r: dict, many_queues: bool = False) -> dict:
    out = dict(r)
    out["held_cards"] = r["held_cards"][:HELD_TOKENS]
    out["held_more"] = r["held_count"] - len(out["held_cards"])
    out["many_queues"] = many_queues
    out["progress_pct"] = percent(r["progress"])
    out["mean_time_text"] = f"{r['mean_time']:g}"
    out["failure_pct"] = percent(r["failure_rate"])
    out["prefetch_text"] = "no limit" if not r["prefetch"] else str(r["prefetch"])
    return out


def sync_context(s: dict, target: dict | None = None, *, strip: bool = False) -> dict:
    """The sync lane: the caller, and the *same* receiver the async lane shows (``target``,
    None if it was removed), so a receiver that is down is down in both lanes at once."""
    out = dict(s)
    out["strip"] = strip
    out["interactive"] = True
    out["target_found"] = target is not None
    out["target_alive"] = target is not None and target["alive"]
    out["target_working"] = target is not None and target["status"] == "working"
    recent = s.get("recent") or []
    out["last_outcome"] = recent[-1]["outcome"] if recent else None
    call = s.get("call")
    out["waiting"] = call is not None
    if call:
        out["waited_text"] = seconds(call["waited"])
        out["progress_pct"] = percent(call["progress"])
    out["timeout_text"] = seconds(s["timeout"])
    out["blocked_text"] = seconds(s["blocked_time"])
    out["recent_rows"] = [
        {"id": c["id"], "waited": seconds(c["waited"]), "outcome": c["outcome"]}
        for c in reversed(s.get("recent", [])[-8:])
    ]
    return out


def done_context(events: list[dict], acked: int) -> dict:
    """The acknowledged area: how many, and the last few messages that got there (from the
    log's ``acked`` events, newest last)."""
    recent = []
    for e in reversed(events):
        if e["kind"] == "acked" and e["message"] is not None:
            recent.append({"id": e["message"], "receiver": e["receiver"]})
            if len(recent) == DONE_TOKENS:
                break
    recent.reverse()
    return {"acked": acked, "recent": recent}


def dlq_context(queues: list[dict], knobs: dict, interactive: bool) -> dict:
    """The dead-letter area: the first few dead letters (each with its Redrive) and a count."""
    shown = []
    for q in queues:
        for c in q["dlq"]:
            if len(shown) == DLQ_TOKENS:
                break
            shown.append({**c, "queue": q["name"]})
    total = sum(q["dlq_count"] for q in queues)
    return {
        "dead": shown,
        "more": total - len(shown),
        "total": total,
        "many": len(queues) > 1,
        "knobs": knobs,
        "interactive": interactive,
    }


def counters_context(view: dict) -> list[dict]:
    counters = view["counters"]
    return [{"key": key, "label": label, "value": counters.get(key, 0)} for key, label in COUNTERS]


def goal_context(goal: dict | None) -> dict | None:
    if not goal:
        return None
    return {
        "description": goal["description"],
        "met": goal["met"],
        "met_at": seconds(goal["met_at"]) if goal["met_at"] is not None else "",
        "conditions": [_condition(c) for c in goal.get("conditions") or []],
    }


def _condition(c: dict) -> dict:
    """One goal condition in words: "messages acked: 7 (at least 20)"."""

    def num(v):
        return f"{v:g}" if isinstance(v, float) else str(v)

    need = f"at least {num(c['target'])}" if c["bound"] == "min" else f"at most {num(c['target'])}"
    return {"label": c["label"], "value": num(c["value"]), "need": need, "ok": c["ok"]}


def story_context(story: dict | None) -> dict | None:
    if story is None:
        return None
    message = story.get("message")
    return {
        "id": story["id"],
        "message": message,
        "state_label": STATE_LABELS.get(message["state"], message["state"])
        if message
        else "forgotten (too old)",
        "events": [
            {"time": f"{e['time']:.1f}", "text": event_text(e), "kind": e["kind"]}
            for e in story["events"]
        ],
        "complete": story["complete"],
    }


FILTER_CHOICES = list(EVENT_FILTERS.items())
