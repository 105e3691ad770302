"""Field rules: how one value of a command (or of a scenario file) is checked.

``rule.check(name, value)`` returns the value (numbers normalised) or raises
:class:`CommandError` with a message a learner can read. A leaf of the engine: the commands,
the settings spec and the scenario loader all build on these.
"""

from __future__ import annotations

import math
import re

from . import limits as L


class CommandError(ValueError):
    """A command was refused. ``str(error)`` is a human-readable reason."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class _Rule:
    def check(self, name, value):  # pragma: no cover - overridden
        raise NotImplementedError


class Int(_Rule):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise CommandError(f"'{name}' must be a whole number, got {_show(value)}")
        if not self.lo <= value <= self.hi:
            raise CommandError(
                f"'{name}' must be between {self.lo} and {self.hi}, got {_show(value)}"
            )
        return value


class Float(_Rule):
    """A finite number in a range. ``or_zero``: 0 is also allowed below ``lo`` (a rate that
    stops), so the engine never divides by a number so small that the result is infinite."""

    def __init__(self, lo, hi, lo_open=False, or_zero=False):
        self.lo, self.hi, self.lo_open, self.or_zero = lo, hi, lo_open, or_zero

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CommandError(f"'{name}' must be a number, got {_show(value)}")
        try:
            value = float(value) + 0.0  # + 0.0: -0 is 0
        except OverflowError:  # an integer too large for a float
            raise CommandError(f"'{name}' must be a finite number") from None
        if not math.isfinite(value):
            raise CommandError(f"'{name}' must be a finite number")
        if self.or_zero and value == 0.0:
            return value
        too_low = value <= self.lo if self.lo_open else value < self.lo
        if too_low or value > self.hi:
            lower = f"more than {self.lo:g}" if self.lo_open else f"at least {self.lo:g}"
            if self.or_zero:
                lower = f"0 (stopped) or {lower}"
            raise CommandError(f"'{name}' must be {lower} and at most {self.hi:g}, got {value:g}")
        return value


class Bool(_Rule):
    def check(self, name, value):
        if not isinstance(value, bool):
            raise CommandError(f"'{name}' must be true or false, got {_show(value)}")
        return value


class Choice(_Rule):
    def __init__(self, options):
        self.options = tuple(options)

    def check(self, name, value):
        if not isinstance(value, str) or value not in self.options:
            raise CommandError(
                f"'{name}' must be one of {', '.join(self.options)}; got {_show(value)}"
            )
        return value


class Text(_Rule):
    def __init__(self, max_length, min_length=0):
        self.max_length, self.min_length = max_length, min_length

    def check(self, name, value):
        if not isinstance(value, str):
            raise CommandError(f"'{name}' must be text, got {_show(value)}")
        if len(value) > self.max_length:
            raise CommandError(f"'{name}' is too long: at most {self.max_length} characters")
        if len(value) < self.min_length:
            raise CommandError(f"'{name}' must not be empty")
        if _UNSTORABLE.search(value):
            raise CommandError(
                f"'{name}' contains a control character or broken Unicode; use plain text"
            )
        return value


# Control characters (other than tab and newline) and lone surrogates: they cannot be shown,
# and lone surrogates cannot even be encoded (or stored in a JSON column).
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _show(value):
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


NAME = Text(L.MAX_NAME_LENGTH, 1)
RATE = Float(L.MIN_RATE, L.MAX_RATE, or_zero=True)  # per second; the engine divides by it
SYNC_TIMEOUT = Float(L.MIN_SYNC_TIMEOUT, L.MAX_SYNC_TIMEOUT)
