"""Live load readouts of a queue: arrival rate, throughput, age of the oldest message, and
Little's law.

In a run that records them (``sim.load_sampling``: a scenario with ``load_readouts = true``;
a run that does not pays nothing for them and its rates stay None), every second (at the
metric bucket boundaries, fixed times, so the readouts never depend on how time was chopped)
each queue records its cumulative counts and how many of its messages
are in the system (ready, waiting out a delay, or in flight). The readouts compare the newest
record with the one ``LOAD_WINDOW_SECONDS`` earlier:

- arrival rate: copies offered to the queue per second (retries included), and how many of
  them it accepted; throughput: acknowledgements per second;
- the age of the oldest ready message (now minus its publication time);
- Little's law, L = lambda * W (J. D. C. Little, "A proof for the queuing formula L = lambda W",
  Operations Research 9(3), 1961): over the window, the time-average number in the system, L,
  against lambda * W, the rate at which messages leave it (acked, or pushed out by drop-head)
  times the time they spent in it (``little_l``; they agree in a steady state); and, turned
  around, the wait a message arriving now can expect, W = L / lambda (the messages ahead of it
  divided by the rate at which they leave, as in the lesson's "a line of 12,000 served at 80 a
  second waits 150 s");
- growth: how fast the number in the system changed over the window (arrivals let in minus
  messages that left, acked or pushed out); the drain time at that rate: what is in the
  system divided by the rate at which it shrinks, or None while it is not shrinking.

Under lasting overload there is no steady state: L and W grow, the drain time is None, and
the age of the oldest message is the number to watch.
"""

from __future__ import annotations

from . import limits as L

# One sample: [t, offered, accepted, acked, wait_sum, in_system, shed, refused, left, left_sum]
_T, _OFFERED, _ACCEPTED, _ACKED, _WAIT, _IN_SYSTEM, _SHED, _REFUSED, _LEFT, _LEFT_SUM = range(10)


def in_system(sim, q):
    """``q``'s messages ready, delayed or in flight."""
    receivers = sim.receivers
    held = sum(len(receivers[rid].held) for rid in q.consumers if rid in receivers)
    return len(q.ready) + len(q.delayed) + held


def sample_load(sim, first, last, width):
    """Record every queue's counts at each boundary from ``first`` to ``last`` (called as
    metric buckets close; nothing changed between them), so the records are the same however
    time was chopped into calls."""
    receivers = sim.receivers
    if first == last:  # one boundary: the usual case, once a simulated second (the hot path)
        for q in sim.queues.values():
            held = 0
            for rid in q.consumers:
                held += len(receivers[rid].held)
            q.samples.append(
                (first, q.offered, q.accepted, q.acked, q.wait_sum,
                 len(q.ready) + len(q.delayed) + held, q.shed, q.refused,
                 q.acked + q.shed, q.wait_sum + q.shed_sum)
            )  # fmt: skip
        return
    kept = L.LOAD_WINDOW_SECONDS + 1
    n = int(round((last - first) / width)) + 1
    times = [first + i * width for i in range(max(0, n - kept), n)]
    for q in sim.queues.values():
        row = (q.offered, q.accepted, q.acked, q.wait_sum, in_system(sim, q), q.shed, q.refused,
               q.acked + q.shed, q.wait_sum + q.shed_sum)  # fmt: skip
        for t in times:
            q.samples.append((t, *row))


def _rate(new, old, i, width):
    return (new[i] - old[i]) / width


def queue_load(sim, q):
    """The readouts of ``q`` (see the module doc). Rates are None until a second has passed."""
    max_length, overflow = sim._limit(q)
    now_in = in_system(sim, q)
    oldest = None
    if q.ready:
        oldest = max(0.0, sim.now - sim.messages[q.ready[0]].published_at)
    out = {
        "max_length": max_length,
        "overflow": overflow,
        "own_limit": "max_length" in q.own,
        "in_system": now_in,
        "oldest_age": oldest,
        "offered": q.offered,
        "accepted": q.accepted,
        "refused": q.refused,
        "shed": q.shed,
        "acked": q.acked,
        "window": 0.0,
        "arrival_rate": None,
        "accepted_rate": None,
        "throughput": None,
        "refused_rate": None,
        "shed_rate": None,
        "measured_wait": None,
        "departure_rate": None,
        "sojourn": None,
        "average_in_system": None,
        "little_l": None,
        "predicted_wait": None,
        "drain_time": None,
        "growth": None,
    }
    samples = q.samples
    if len(samples) < 2:
        return out
    old, new = samples[0], samples[-1]
    width = new[_T] - old[_T]
    if width <= 0:
        return out
    arrival = _rate(new, old, _OFFERED, width)
    accepted = _rate(new, old, _ACCEPTED, width)
    throughput = _rate(new, old, _ACKED, width)
    acked = new[_ACKED] - old[_ACKED]
    wait = (new[_WAIT] - old[_WAIT]) / acked if acked else None
    left = new[_LEFT] - old[_LEFT]
    sojourn = (new[_LEFT_SUM] - old[_LEFT_SUM]) / left if left else None
    later = list(samples)[1:]
    average = sum(s[_IN_SYSTEM] for s in later) / len(later)
    out.update(
        window=width,
        arrival_rate=arrival,
        accepted_rate=accepted,
        throughput=throughput,
        refused_rate=_rate(new, old, _REFUSED, width),
        shed_rate=_rate(new, old, _SHED, width),
        measured_wait=wait,
        average_in_system=average,
        departure_rate=left / width,
        sojourn=sojourn,
        little_l=left / width * sojourn if sojourn is not None else None,
        predicted_wait=now_in / throughput if throughput > 0 else None,
        growth=(new[_IN_SYSTEM] - old[_IN_SYSTEM]) / width,
    )
    if now_in == 0:
        out["drain_time"] = 0.0
    elif out["growth"] < -1e-9:
        out["drain_time"] = now_in / -out["growth"]
    return out
