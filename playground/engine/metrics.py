"""Metrics over time, in fixed-width buckets of simulated time (a bounded ring)."""

from __future__ import annotations

from collections import deque

from . import limits as L

# Order of the values in one closed bucket (kept as a tuple to stay small).
BUCKET_FIELDS = (
    "t",  # bucket start time
    "published",
    "acked",
    "failed",
    "dead_lettered",
    "ready",  # queue depth at the end of the bucket (all queues)
    "in_flight",
    "delayed",
    "dlq",
    "latency_p50",  # end-to-end latency of messages acked in this bucket (None if none)
    "latency_p95",
    "sync_blocked",  # seconds the sync caller spent blocked, for calls ending in this bucket
    "sync_ok",
    "sync_failed",
    "out_of_order",
    "duplicates",
)


def _rank(n, p):
    """Index of the nearest-rank ``p`` percentile in a sorted list of ``n`` values."""
    return max(0, min(n - 1, int(round(p * n + 0.5)) - 1))


_RANKS = {}  # n -> (p50 index, p95 index), filled as bucket sizes are met


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    return sorted_values[_rank(len(sorted_values), p)]


class Metrics:
    """Counters of the current bucket plus a ring of closed buckets."""

    __slots__ = (
        "width",
        "start",
        "end",
        "published",
        "acked",
        "failed",
        "dead_lettered",
        "latencies",
        "sync_blocked",
        "sync_ok",
        "sync_failed",
        "out_of_order",
        "duplicates",
        "buckets",
        "recent_latencies",
    )

    def __init__(self, width=L.METRIC_BUCKET_SECONDS, start=0.0):
        self.width = width
        self.buckets = deque(maxlen=L.METRIC_BUCKETS_KEPT)
        self.recent_latencies = deque(maxlen=L.LATENCY_SAMPLES_KEPT)
        self._reset(start)

    def _reset(self, start):
        self.start = start
        self.end = start + self.width
        self.published = self.acked = self.failed = self.dead_lettered = 0
        self.sync_ok = self.sync_failed = self.out_of_order = self.duplicates = 0
        self.sync_blocked = 0.0
        self.latencies = []

    def close(self, ready, in_flight, delayed, dlq):
        """Close the current bucket with the given depths and open the next one."""
        lat = self.latencies
        n = len(lat)
        if n == 0:
            p50 = p95 = None
        elif n == 1:
            p50 = p95 = lat[0]
        else:
            lat.sort()
            ranks = _RANKS.get(n)
            if ranks is None:
                ranks = _RANKS[n] = (_rank(n, 0.50), _rank(n, 0.95))
            p50 = lat[ranks[0]]
            p95 = lat[ranks[1]]
        self.buckets.append(
            (
                self.start,
                self.published,
                self.acked,
                self.failed,
                self.dead_lettered,
                ready,
                in_flight,
                delayed,
                dlq,
                p50,
                p95,
                self.sync_blocked,
                self.sync_ok,
                self.sync_failed,
                self.out_of_order,
                self.duplicates,
            )
        )
        # Open the next bucket (inlined ``_reset``: this runs once per simulated second).
        start = self.start = self.end
        self.end = start + self.width
        self.published = self.acked = self.failed = self.dead_lettered = 0
        self.sync_ok = self.sync_failed = self.out_of_order = self.duplicates = 0
        self.sync_blocked = 0.0
        if n:
            self.latencies = []

    def skip_idle(self, until, ready, in_flight, delayed, dlq):
        """Close empty buckets up to ``until`` quickly (at most one ring's worth is kept)."""
        if self.end <= until:
            self.close(ready, in_flight, delayed, dlq)
        n = int((until - self.end) // self.width)
        if n > self.buckets.maxlen:
            skip = n - self.buckets.maxlen
            self.start += skip * self.width
            self.end = self.start + self.width
        while self.end <= until:
            self.close(ready, in_flight, delayed, dlq)

    def series(self):
        """Closed buckets as a dict of lists: ``{"t": [...], "ready": [...], ...}``."""
        cols = list(zip(*self.buckets, strict=True)) if self.buckets else [()] * len(BUCKET_FIELDS)
        return {name: list(col) for name, col in zip(BUCKET_FIELDS, cols, strict=True)}

    def to_dict(self):
        d = {name: getattr(self, name) for name in Metrics.__slots__}
        d["buckets"] = [list(b) for b in self.buckets]
        d["recent_latencies"] = list(self.recent_latencies)
        d["latencies"] = list(self.latencies)
        return d

    @classmethod
    def from_dict(cls, d):
        m = cls(d["width"], d["start"])
        for name in Metrics.__slots__:
            if name not in ("buckets", "recent_latencies"):
                setattr(m, name, d[name])
        m.buckets.extend(tuple(b) for b in d["buckets"])
        m.recent_latencies.extend(d["recent_latencies"])
        return m
