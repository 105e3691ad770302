"""The WebSocket protocol: turn one untrusted frame into a checked request, or a clear error.

Frames come from htmx's ws extension: a JSON object of form values (all strings), plus the
``seq`` and ``epoch`` numbers our page script adds and htmx's ``HEADERS``. Engine commands
are coerced to the types the engine's command rules expect, then the engine validates them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from config.text import text_clean
from playground.engine import COMMANDS
from playground.engine.commands import Bool, Float, Int
from playground.engine.events import EVENT_GROUPS

MAX_FRAME_CHARS = 4096  # a command is a few hundred bytes; anything bigger is refused unread
UI_ACTIONS = frozenset({"story", "close_story", "filter_events", "reset", "share", "sync"})
EVENT_FILTERS = {"all": "Everything", **EVENT_GROUPS}
META_KEYS = frozenset({"HEADERS", "seq", "epoch", "action"})
_INT_RE = re.compile(r"^[+-]?\d{1,15}$")
_FLOAT_RE = re.compile(r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")


class FrameError(ValueError):
    """The frame cannot be used; the message says why, for the learner."""


@dataclass(frozen=True)
class Request:
    action: str
    params: dict = field(default_factory=dict)
    seq: int | None = None

    @property
    def is_ui(self) -> bool:
        return self.action in UI_ACTIONS


def _coerce(rule, value):
    """Form values arrive as strings: give the engine numbers and booleans where it wants them."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if isinstance(rule, Bool):
        lowered = text.lower()
        if lowered in {"true", "on", "1", "yes"}:
            return True
        if lowered in {"false", "off", "0", "no", ""}:
            return False
    elif isinstance(rule, Int) and _INT_RE.match(text):
        return int(text)
    elif isinstance(rule, Float) and _FLOAT_RE.match(text):
        return float(text)
    return value  # left as it is: the engine explains what it expected


def parse_frame(text: str | None) -> Request:
    """Parse and shape-check one frame. Raises FrameError with a readable message."""
    if text is None:
        raise FrameError("Only text frames are understood here.")
    if len(text) > MAX_FRAME_CHARS:
        raise FrameError(
            f"That message is too large ({len(text)} characters; the limit is {MAX_FRAME_CHARS})."
        )
    try:
        data = json.loads(text)
    except ValueError:
        raise FrameError("That message was not valid JSON.") from None
    except RecursionError:
        raise FrameError("That message is nested too deeply.") from None
    if not isinstance(data, dict):
        raise FrameError("A message must be a JSON object with an 'action'.")
    action = data.get("action")
    if not isinstance(action, str) or not action:
        raise FrameError("A message needs an 'action'.")
    if action not in COMMANDS and action not in UI_ACTIONS:
        raise FrameError(f"Unknown action {action[:40]!r}.")
    seq = data.get("seq")
    if seq is not None:
        if isinstance(seq, str) and _INT_RE.match(seq.strip()):
            seq = int(seq)
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise FrameError("'seq' must be a whole number.")
    # Learner text enters here: bidi controls go before anything sees it (config/text.py).
    params = {
        k: text_clean(v) if isinstance(v, str) else v for k, v in data.items() if k not in META_KEYS
    }
    if action in COMMANDS:
        rules = COMMANDS[action].RULES
        params = {
            k: _coerce(rules[k], v) if k in rules else v
            for k, v in params.items()
            if not (k in rules and v == "" and not isinstance(rules[k], Bool))
        }
    return Request(action=action, params=params, seq=seq)


def engine_command(request: Request) -> dict:
    return {"action": request.action, **request.params}
