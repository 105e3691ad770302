"""Runs a behaviour script on a real RabbitMQ through pika, and cleans up after itself.

Everything the script needs is declared under a unique prefix (``conf-<random>-<id>-``): a
fan-out exchange the publisher sends to, the queues (bound to it unless the script says
not), and for a queue with a dead-letter exchange a fan-out exchange plus a classic queue to
catch and read the dead letters. All of it is deleted at the end, also when the run fails.
The broker itself is never reconfigured (no policies, users or plugins).

Each consumer has its own connection. Consumers declared with ``process = true`` run in
their own OS process (``consumer_process.py``) so that a step can kill them (SIGKILL: the OS
closes the socket) or freeze them (SIGSTOP: the host or network went silent). After every
step the driver waits for the broker to settle: a round trip to every queue (queue.declare,
passive) and then until no delivery has arrived for a short while.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue as queue_module
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pika
from outcomes import Recorder
from pika import exceptions

CONSUMER_PROCESS = Path(__file__).with_name("consumer_process.py")
IDLE = 0.08  # seconds without a new delivery after which a step counts as settled
SETTLE_MAX = 3.0  # but never wait longer than this for a step to settle
START_TIMEOUT = 15.0  # a consumer process must be subscribed by then


def _params(url: str, heartbeat: int | None = None) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.retry_delay = 0
    params.socket_timeout = 3
    if heartbeat:
        params.heartbeat = heartbeat
    return params


def broker_version(url: str) -> str | None:
    """The version a broker at ``url`` announces, or None if none answers."""
    try:
        connection = pika.BlockingConnection(_params(url))
    except (exceptions.AMQPError, OSError):
        return None
    try:
        # connection.start carries the server's properties; pika keeps them on the
        # connection object underneath BlockingConnection.
        version = connection._impl.server_properties.get("version", "")
        return version.decode() if isinstance(version, bytes) else str(version)
    finally:
        connection.close()


class LocalConsumer:
    """A consumer in this process, on its own connection and channel."""

    def __init__(self, run, decl):
        self.run, self.decl, self.name = run, decl, decl.name
        self.queue = run.names[decl.queue]
        self.connection = pika.BlockingConnection(_params(run.url, decl.heartbeat))
        self.channel = self.connection.channel()
        if decl.prefetch is not None:
            self.channel.basic_qos(prefetch_count=decl.prefetch)
        self.unacked = []  # delivery tags, in delivery order
        self.last_acked = None
        self.channel.basic_consume(self.queue, self.on_message, auto_ack=decl.auto_ack)

    def on_message(self, _channel, method, properties, body):
        count = (properties.headers or {}).get("x-delivery-count")
        self.run.rec.delivered(self.name, body.decode(), method.redelivered, count)
        if not self.decl.auto_ack:
            self.unacked.append(method.delivery_tag)

    def pump(self):
        if self.connection.is_open:
            self.connection.process_data_events(time_limit=0)

    def sync(self):
        """A round trip on this channel; notices (and records) a channel the broker closed."""
        if not self.channel.is_open:
            return
        try:
            self.channel.queue_declare(self.queue, passive=True)
        except exceptions.ChannelClosedByBroker as closed:
            self.run.rec.channels_closed[self.name] = closed.reply_code
            self.unacked.clear()  # the broker requeued them when it closed the channel

    def settle(self, kind, tag, requeue):
        if not self.channel.is_open:
            return
        if kind == "ack":
            self.channel.basic_ack(tag)
        elif kind == "nack":
            self.channel.basic_nack(tag, requeue=requeue)
        else:
            self.channel.basic_reject(tag, requeue=requeue)
        if tag in self.unacked:
            self.unacked.remove(tag)
        if kind == "ack":
            self.last_acked = tag
        self.sync()

    def close(self):
        if self.connection.is_open:
            self.connection.close()


class ProcessConsumer:
    """A consumer in its own OS process (it only receives and holds)."""

    def __init__(self, run, decl):
        self.run, self.decl, self.name = run, decl, decl.name
        prefetch = -1 if decl.prefetch is None else decl.prefetch
        self.lines = queue_module.Queue()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(CONSUMER_PROCESS),
                run.url,
                run.names[decl.queue],
                str(prefetch),
                "1" if decl.auto_ack else "0",
                str(decl.heartbeat or 0),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        try:
            first = self.lines.get(timeout=START_TIMEOUT)
        except queue_module.Empty:
            first = None
        if first != {"ready": True}:
            self.kill()
            raise RuntimeError(f"consumer process {self.name} did not start")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def pump(self):
        while True:
            try:
                d = self.lines.get_nowait()
            except queue_module.Empty:
                return
            self.run.rec.delivered(self.name, d["label"], d["redelivered"], d["count"])

    def sync(self):
        pass

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def freeze(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def close(self):
        self.kill()


class BrokerRun:
    def __init__(self, behaviour, url):
        self.b = behaviour
        self.url = url
        self.rec = Recorder(behaviour)
        self.prefix = f"conf-{uuid.uuid4().hex[:8]}-{behaviour.id}-"
        self.names = {q.name: self.prefix + q.name for q in behaviour.queues}
        self.dlqs = {}  # queue name -> dead-letter queue name
        self.exchanges = []
        self.queues = []
        self.consumers = {}
        self.published = 0

    # -------------------------------------------------------------- setup

    def setup(self):
        self.connection = pika.BlockingConnection(_params(self.url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.exchange = self.prefix + "x"
        self.channel.exchange_declare(self.exchange, "fanout")
        self.exchanges.append(self.exchange)
        quorum = self.b.queue_type == "quorum"
        for q in self.b.queues:
            args = {"x-queue-type": self.b.queue_type}
            if q.max_length is not None:
                args["x-max-length"] = q.max_length
            if q.overflow is not None:
                args["x-overflow"] = q.overflow
            if q.delivery_limit is not None:
                args["x-delivery-limit"] = q.delivery_limit
            if q.message_ttl is not None:
                args["x-message-ttl"] = q.message_ttl
            if q.single_active_consumer:
                args["x-single-active-consumer"] = True
            if q.dead_letter:
                dlx, dlq = self.prefix + q.name + "-dlx", self.prefix + q.name + "-dlq"
                self.channel.exchange_declare(dlx, "fanout")
                self.exchanges.append(dlx)
                self.channel.queue_declare(dlq)
                self.queues.append(dlq)
                self.channel.queue_bind(dlq, dlx)
                self.dlqs[q.name] = dlq
                args["x-dead-letter-exchange"] = dlx
            name = self.names[q.name]
            self.channel.queue_declare(name, durable=quorum, arguments=args)
            self.queues.append(name)
            if q.bound:
                self.channel.queue_bind(name, self.exchange)
        for c in self.b.consumers:
            if not c.later:
                self.subscribe(c)
        self.settle()

    def subscribe(self, decl):
        kind = ProcessConsumer if decl.process else LocalConsumer
        self.consumers[decl.name] = kind(self, decl)

    # -------------------------------------------------------------- settling

    def pump_all(self):
        before = sum(self.rec.received(n) for n in self.rec.deliveries)
        for c in self.consumers.values():
            c.pump()
        if self.connection.is_open:
            self.connection.process_data_events(time_limit=0)
        return sum(self.rec.received(n) for n in self.rec.deliveries) != before

    def settle(self):
        for name in self.names.values():
            self.channel.queue_declare(name, passive=True)
        start = last = time.monotonic()
        while True:
            now = time.monotonic()
            if self.pump_all():
                last = now
            if now - last >= IDLE or now - start >= SETTLE_MAX:
                return
            time.sleep(0.005)

    # -------------------------------------------------------------- steps

    def run(self):
        try:
            self.setup()
            for step in self.b.steps:
                getattr(self, "do_" + step.kind)(step)
                self.settle()
            return self.finish()
        finally:
            self.cleanup()

    def do_publish(self, step):
        for _ in range(step.count):
            self.published += 1
            body = f"m{self.published}".encode()
            try:
                self.channel.basic_publish(self.exchange, "", body, mandatory=step.mandatory)
                self.rec.confirms.append("ack")
            except exceptions.UnroutableError:
                self.rec.confirms.append("returned")
            except exceptions.NackError:
                self.rec.confirms.append("nack")

    def _settle(self, step, kind):
        c = self.consumers[step.consumer]
        for _ in range(step.count):
            if step.again:
                tag = c.last_acked
            elif step.of:
                held = self.consumers[step.of].unacked
                tag = held[0] if held else None
            else:
                # A requeued message may take longer than IDLE to come back on a loaded
                # machine: wait for it (up to SETTLE_MAX) rather than end the step early.
                deadline = time.monotonic() + SETTLE_MAX
                while not c.unacked and time.monotonic() < deadline:
                    self.pump_all()
                    time.sleep(0.005)
                tag = (c.unacked[-1] if step.newest else c.unacked[0]) if c.unacked else None
            if tag is None:
                return
            c.settle(kind, tag, step.requeue)
            self.settle()

    def do_ack(self, step):
        self._settle(step, "ack")

    def do_nack(self, step):
        self._settle(step, "nack")

    def do_reject(self, step):
        self._settle(step, "reject")

    def do_close(self, step):
        self.consumers[step.consumer].close()

    def do_kill(self, step):
        self.consumers[step.consumer].kill()

    def do_silence(self, step):
        self.consumers[step.consumer].freeze()

    def do_consume(self, step):
        self.subscribe(self.b.consumer(step.consumer))

    def do_wait(self, step):
        deadline = time.monotonic() + step.seconds
        while time.monotonic() < deadline:
            self.pump_all()
            if step.until and all(self.rec.received(n) >= k for n, k in step.until.items()):
                return
            time.sleep(0.005)

    def do_snapshot(self, step):
        self.rec.snapshot(step.label)

    # -------------------------------------------------------------- the end

    def _drain(self, name):
        out = []
        while True:
            method, properties, body = self.channel.basic_get(name, auto_ack=True)
            if method is None:
                return out
            out.append((body.decode(), properties.headers or {}))

    def finish(self):
        for c in self.consumers.values():
            c.sync()
        for q in self.b.queues:
            self.rec.ready[q.name] = [label for label, _ in self._drain(self.names[q.name])]
        for qname, dlq in self.dlqs.items():
            # Quorum queues dead-letter asynchronously: wait until the count stops moving.
            count, stable_since, start = -1, time.monotonic(), time.monotonic()
            while time.monotonic() - start < 2.0:
                now = self.channel.queue_declare(dlq, passive=True).method.message_count
                if now != count:
                    count, stable_since = now, time.monotonic()
                elif time.monotonic() - stable_since > 0.15:
                    break
                time.sleep(0.02)
            entries = []
            for label, headers in self._drain(dlq):
                death = next(
                    d for d in headers.get("x-death", []) if d["queue"] == self.names[qname]
                )
                reason = death["reason"]
                entries.append([label, reason.decode() if isinstance(reason, bytes) else reason,
                                int(death["count"])])  # fmt: skip
            self.rec.dead_letters[qname] = entries
        return self.rec.outcome()

    def cleanup(self):
        for c in self.consumers.values():
            with contextlib.suppress(exceptions.AMQPError, OSError, subprocess.SubprocessError):
                c.close()
        try:
            if getattr(self, "connection", None) is None or not self.connection.is_open:
                self.connection = pika.BlockingConnection(_params(self.url))
            channel = self.connection.channel()
            for name in self.queues:
                channel.queue_delete(name)
            for name in self.exchanges:
                channel.exchange_delete(name)
        finally:
            if self.connection.is_open:
                self.connection.close()


def run_on_broker(behaviour, url) -> dict:
    """The behaviour's outcome on the broker at ``url``."""
    return BrokerRun(behaviour, url).run()
