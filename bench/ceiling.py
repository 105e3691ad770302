"""The ceiling: how fast can *any* pure-Python loop run the reference scenario with the
bookkeeping the engine must do?

This is not the engine. It is one hand-written loop specialised to the reference scenario
(one queue, 3 receivers with prefetch 1, exponential work, 10% failures, exponential
backoff, dead-lettering after 4 attempts) that keeps only the essential work:

- a 20-field record per message (what ``Message`` holds), forgotten once enough have finished;
- an event-log entry per transition (published, delivered, failed, delayed, ready, acked,
  dead-lettered) in a bounded log;
- state counts and counters, out-of-order detection, per-receiver tallies;
- round-robin delivery with delivery tags and a held-by-receiver map;
- per-second metric buckets with latency percentiles.

It leaves out everything else the engine does: commands, stale-timer checks, knobs, profiles,
fan-out, sync lane, length limits, crash handling, idempotency. So its speed bounds what a
pure-Python engine doing the real work can reach on CPython; ``bench/engine.py`` prints it
beside the engine and SimPy.
"""

from __future__ import annotations

import random
import sys
import time
from collections import deque
from heapq import heappop, heappush, heapreplace
from math import log as ln
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.engine import limits as L  # noqa: E402
from playground.engine.model import Message  # noqa: E402

# The reference scenario (issue 4); bench/engine.py uses these too.
MEAN = 2.5
FAILURE = 0.1
RETRIES = 3
BASE = 0.5
RECEIVERS = 3
PUBLISH, WORK_DONE, DELAY_DONE = 0, 1, 2
READY, IN_FLIGHT, ACKED, DELAYED, DEAD = range(5)


class Record:
    __slots__ = Message.__slots__  # the same record the engine keeps per message


class Worker:
    __slots__ = ("id", "held", "current", "alive", "delivered", "processed", "failures")


def run_ceiling(n: int, seed: int):  # noqa: C901 - one loop, on purpose
    rng = random.Random(seed)
    rand = rng.random
    heap = [(1.0, 0, PUBLISH, 0)]
    log = deque(maxlen=L.EVENT_LOG_KEPT).append
    messages, finished, ready = {}, deque(), deque()
    workers = []
    for i in range(RECEIVERS):
        w = Worker()
        w.id, w.held, w.current, w.alive = f"r{i + 1}", {}, None, True
        w.delivered = w.processed = w.failures = 0
        workers.append(w)
    by_id = {w.id: w for w in workers}
    rr = eseq = hs = nid = ntag = 0
    published = acked = delivered = failed = retried = dead = out_of_order = max_acked = 0
    n_ready = n_flight = n_delayed = n_dead = 0
    buckets = deque(maxlen=L.METRIC_BUCKETS_KEPT)
    recent = deque(maxlen=L.LATENCY_SAMPLES_KEPT)
    lats = []
    bucket_end, mark_pub, mark_ack = 1.0, 0, 0
    start = time.process_time()
    while heap:
        ev = heap[0]
        et = ev[0]
        if et >= bucket_end:
            k = len(lats)
            if k > 1:
                lats.sort()
            p50 = lats[(k - 1) // 2] if k else None
            p95 = lats[min(k - 1, int(0.95 * k))] if k else None
            buckets.append(
                (bucket_end - 1.0, published - mark_pub, acked - mark_ack, 0, 0, n_ready,
                 n_flight, n_delayed, n_dead, p50, p95, 0.0, 0, 0, 0, 0)
            )  # fmt: skip
            mark_pub, mark_ack = published, acked
            if k:
                lats.clear()
            bucket_end += 1.0
        kind = ev[2]
        if kind == PUBLISH:
            nid += 1
            published += 1
            m = Record()
            m.id = m.seq = m.order = nid
            m.queue, m.state, m.reason, m.text, m.poison = "q", READY, "", "", False
            m.published_at = m.ready_at = et
            m.delivered_at = m.finished_at = -1.0
            m.deliveries = m.total_deliveries = m.tag = m.effects = m.redrives = 0
            m.holder = m.redriven_from = None
            m.auto_ack = False
            messages[nid] = m
            n_ready += 1
            eseq += 1
            log((eseq, et, "published", nid, None, 0, "q"))
            hs += 1
            if nid < n:
                heapreplace(heap, (et + 1.0, hs, PUBLISH, 0))
            else:
                heappop(heap)
            ready.append(nid)
        elif kind == WORK_DONE:
            w = by_id[ev[3]]
            mid, tag = w.current
            m = messages[mid]
            w.current = None
            del w.held[tag]
            n_flight -= 1
            m.holder = None
            if rand() < FAILURE:
                w.failures += 1
                failed += 1
                eseq += 1
                log((eseq, et, "failed", mid, w.id, m.deliveries, "processing failed"))
                if m.deliveries > RETRIES:
                    m.state, m.reason = DEAD, "delivery limit"
                    n_dead += 1
                    dead += 1
                    eseq += 1
                    log((eseq, et, "dead_lettered", mid, None, m.deliveries, "delivery limit"))
                    heappop(heap)
                else:
                    retried += 1
                    n_delayed += 1
                    m.state = DELAYED
                    m.ready_at = et + BASE * 2.0 ** (m.deliveries - 1)
                    hs += 1
                    heapreplace(heap, (m.ready_at, hs, DELAY_DONE, mid))
                    eseq += 1
                    log((eseq, et, "delayed", mid, None, m.deliveries, "retry after backoff"))
            else:
                m.effects = 1
                w.processed += 1
                m.state, m.finished_at = ACKED, et
                acked += 1
                lat = et - m.published_at
                lats.append(lat)
                recent.append(lat)
                if m.seq < max_acked:
                    out_of_order += 1
                    reason = "out of order"
                else:
                    max_acked, reason = m.seq, ""
                eseq += 1
                log((eseq, et, "acked", mid, w.id, m.deliveries, reason))
                finished.append(mid)
                if len(finished) > L.FINISHED_MESSAGES_KEPT:
                    del messages[finished.popleft()]
                heappop(heap)
        else:
            mid = ev[3]
            m = messages[mid]
            heappop(heap)
            ready.append(mid)
            n_delayed -= 1
            n_ready += 1
            m.state = READY
            eseq += 1
            log((eseq, et, "ready", mid, None, m.deliveries, "delay over"))
        while ready:  # round-robin to a worker with room (prefetch 1)
            idx, tries = rr, RECEIVERS
            while True:
                w = workers[idx]
                if w.alive and w.current is None:
                    break
                tries -= 1
                if not tries:
                    break
                idx = idx + 1 if idx + 1 < RECEIVERS else 0
            if not tries:
                break
            rr = idx + 1 if idx + 1 < RECEIVERS else 0
            mid = ready.popleft()
            m = messages[mid]
            ntag += 1
            redelivered = m.total_deliveries > 0
            m.deliveries += 1
            m.total_deliveries += 1
            m.state, m.holder, m.tag, m.delivered_at = IN_FLIGHT, w.id, ntag, et
            w.held[ntag] = mid
            w.delivered += 1
            delivered += 1
            n_ready -= 1
            n_flight += 1
            eseq += 1
            why = "redelivered" if redelivered else "first delivery"
            log((eseq, et, "delivered", mid, w.id, m.deliveries, why))
            end = et + -ln(1.0 - rand()) / (1.0 / MEAN)
            w.current = (mid, ntag)
            hs += 1
            heappush(heap, (end, hs, WORK_DONE, w.id))
    cpu = time.process_time() - start
    assert published == n and n_ready == n_flight == n_delayed == 0
    return cpu, {"processed": acked, "retried": retried, "dead_lettered": dead}


if __name__ == "__main__":
    import statistics

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rates = [n / run_ceiling(n, 1000 + i)[0] for i in range(3)]
    print(f"ceiling loop: {statistics.median(rates):,.0f} msg/CPU-s (median of 3)")
    print(f"RESULT ceiling_msgs_per_cpu_s={statistics.median(rates):.0f}")
