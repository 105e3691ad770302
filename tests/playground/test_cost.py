"""Cost isolation inside one session: a tick's event budget, "slower than asked" in plain
words, and commands throttled by what they cost (events), not only by how many there are."""

import html
import json

from playground import live
from playground.live import COMMAND_BURST, THROTTLED, LiveSession
from tests.reliability.big_runs import heavy_sandbox


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _frame(seq: int, **command) -> str:
    return json.dumps({**command, "seq": seq})


def test_a_heavy_tick_stops_at_its_event_budget_and_the_clock_says_it_runs_slower():
    clock = FrozenClock()
    session = LiveSession("sandbox", heavy_sandbox(warm=3), clock=clock)
    session.sim.apply({"action": "resume"})
    session.sim.apply({"action": "set_speed", "speed": 4})
    session.full()
    out = html.unescape("".join(session.tick(0.5)))
    assert session.sim.now < 5  # asked for 2 s at 4x: one budget of events does not get there
    assert "Running slower than asked" in out and "instead of 4×" in out
    assert session.next_interval() == live.HEAVY_UPDATE_INTERVAL

    clock.now += live.SLOW_SHOWN + 1  # long after: an easy run again says nothing
    session.sim.apply({"action": "pause"})
    out = "".join(session.tick(0.1))
    assert "slower than asked" not in out
    assert session.next_interval() == live.MIN_UPDATE_INTERVAL


def test_a_long_step_on_a_heavy_run_says_it_takes_a_few_moments():
    session = LiveSession("sandbox", heavy_sandbox(warm=3), clock=FrozenClock())
    session.full()
    session.handle(_frame(1, action="step", dt="60"))
    out = html.unescape("".join(session.tick(0.1)))
    assert "Stepping to 63.0 s" in out and "takes a few moments" in out


def test_commands_that_set_off_many_events_use_up_the_throttle_sooner():
    def accepted(session, command) -> int:
        for seq in range(1, 40):
            notices = "".join(session.handle(_frame(seq, **command)).fragments)
            if THROTTLED in html.unescape(notices):
                return seq - 1
        return 39

    cheap = accepted(
        LiveSession("sandbox", heavy_sandbox(), clock=FrozenClock()), {"action": "pause"}
    )
    heavy = accepted(
        LiveSession("sandbox", heavy_sandbox(warm=3), clock=FrozenClock()),
        {"action": "step", "dt": "1"},
    )
    assert cheap == COMMAND_BURST
    assert heavy < COMMAND_BURST // 2
