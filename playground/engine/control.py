"""Applying commands to a simulation: check everything first, then change the state."""

from __future__ import annotations

import re

from . import limits as L
from .commands import CommandError, parse_command
from .model import DEAD_LETTERED, READY, Receiver
from .profiles import PROFILES
from .spec import QUEUE_SETTINGS, RECEIVER_SETTING_NAMES, knobs_of, queue_settings

_GENERATED_ID = re.compile(r"^r(\d+)$")


class CommandsMixin:
    """``Simulation.apply`` and one handler per command."""

    def apply(self, command):
        """Apply one command (a dict or a typed command) at the current time.

        Returns a small result dict ``{"ok": True, "action": ..., "message": ...}``.
        Raises :class:`CommandError` (and changes nothing) if the command is invalid here.
        """
        cmd = parse_command(command)
        if len(self.command_log) >= L.MAX_COMMANDS:
            raise CommandError(
                f"this run has reached its limit of {L.MAX_COMMANDS} commands; reset to start again"
            )
        handler = getattr(self, "_cmd_" + cmd.ACTION)
        at = self.now
        result = handler(cmd)  # raises CommandError before changing anything
        self.command_log.append([at, cmd.to_dict()])
        if self.heap and self.heap[0][0] <= self.now:
            # What the command set off for this very instant (a death noticed after 0 s, a
            # retry without delay) happens with it: a replay, which advances to the next
            # command's time first, then sees exactly what the live run saw.
            self.advance_to(self.now)
        if self.goal is not None and self.goal_met_at is None:
            self._check_goal()
        out = {"ok": True, "action": cmd.ACTION}
        out.update(result or {})
        return out

    # ------------------------------------------------------------ checks

    def _receiver(self, rid):
        r = self.receivers.get(rid)
        if r is None:
            known = ", ".join(self.receivers) or "none"
            raise CommandError(f"there is no receiver {rid!r} (receivers: {known})")
        return r

    def _queue(self, name):
        q = self.queues.get(name)
        if q is None:
            raise CommandError(
                f"there is no queue {name!r} (queues: {', '.join(self.queues) or 'none'})"
            )
        return q

    def _check_publish(self, n):
        second = int(self.now)
        used = self.window[1] if self.window[0] == second else 0
        if used + n > L.MAX_PUBLISHES_PER_SECOND:
            raise CommandError(
                f"at most {L.MAX_PUBLISHES_PER_SECOND} publishes per simulated second; "
                f"{used} already sent this second"
            )
        copies = n * max(1, len(self.bound_queues))
        if self.bound_queues and self.in_system() + copies > L.MAX_MESSAGES_IN_SYSTEM:
            raise CommandError(
                f"the simulation is full: at most {L.MAX_MESSAGES_IN_SYSTEM} messages in the system"
            )

    # ------------------------------------------------------------ sender

    def _publish_result(self, messages):
        refused = [m.id for m in messages if m.state == "refused"]
        dropped = [m.id for m in messages if m.state == "dropped" and m.queue is None]
        out = {"messages": [m.id for m in messages]}
        if refused:
            out["refused"] = refused
            out["message"] = f"refused by the broker: {messages[0].reason}"
        elif dropped:
            out["unroutable"] = dropped
            out["message"] = "dropped as unroutable: no queue is subscribed"
        return out

    def _cmd_publish(self, cmd):
        self._check_publish(1)
        if cmd.ttl is not None or cmd.delay:
            self.timed = True
        return self._publish_result(self._publish(cmd.text, cmd.poison, cmd.ttl, cmd.delay))

    def _cmd_burst(self, cmd):
        self._check_publish(cmd.n)
        sent = []
        for _ in range(cmd.n):
            sent.extend(self._publish())
        return self._publish_result(sent)

    def _cmd_set_rate(self, cmd):
        self._set_rate(cmd.rate)

    def _cmd_call(self, cmd):
        if not self.sync.enabled:
            raise CommandError("this scenario has no sync lane")
        self._sync_call()

    def _cmd_set_sync(self, cmd):
        s = self.sync
        if not s.enabled:
            raise CommandError("this scenario has no sync lane")
        if cmd.timeout is not None:
            s.timeout = cmd.timeout
        if cmd.rate is not None:
            self._set_sync_rate(cmd.rate)

    # ------------------------------------------------------------ receivers

    def _receiver_settings(self, cmd):
        values = ((name, getattr(cmd, name)) for name in RECEIVER_SETTING_NAMES)
        return {name: value for name, value in values if value is not None}

    def _cmd_add_receiver(self, cmd):
        if len(self.receivers) >= L.MAX_RECEIVERS:
            raise CommandError(f"at most {L.MAX_RECEIVERS} receivers")
        if cmd.queue is not None:
            q = self._queue(cmd.queue)
        elif self.queues:
            q = next(iter(self.queues.values()))
        else:
            raise CommandError("there is no queue to receive from")
        r = self.add_receiver(q.name, **self._receiver_settings(cmd))
        return {"receiver": r.id, "message": f"receiver {r.id} started on {q.name}"}

    def add_receiver(self, queue, rid=None, **settings):
        """Create a receiver on ``queue`` (used by scenarios; learners use the command).

        Settings not given take the current profile's defaults. Ids are never reused within a
        run: generated ones count up (``r1``, ``r2``, ...) past every id seen, so nothing
        scheduled for a removed receiver can reach a new one.
        """
        if rid is None:
            rid = f"r{self.next_receiver}"
        elif rid in self.receivers:
            raise ValueError(f"receiver {rid!r} exists")
        numbered = _GENERATED_ID.match(rid)
        if numbered:
            self.next_receiver = max(self.next_receiver, int(numbered.group(1)) + 1)
        r = Receiver(rid, queue, **{**PROFILES[self.profile].receivers, **settings})
        self.receivers[rid] = r
        self.queues[queue].consumers.append(rid)
        self._log("receiver_added", None, rid, 0, queue)
        self._dispatch(self.queues[queue])
        return r

    def _cmd_kill_receiver(self, cmd):
        r = self._receiver(cmd.receiver)
        if not r.alive:
            raise CommandError(f"receiver {r.id} is already dead")
        self.counters["kills"] += 1
        self._kill(r, "killed")

    def _cmd_revive_receiver(self, cmd):
        r = self._receiver(cmd.receiver)
        if r.alive:
            raise CommandError(f"receiver {r.id} is already alive")
        self._revive(r, "revived")

    def _cmd_remove_receiver(self, cmd):
        r = self._receiver(cmd.receiver)
        q = self.queues[r.queue]
        self._log("receiver_removed", None, r.id, 0, "shut down and removed")
        was_alive = r.alive
        r.alive = False
        r.incarnation += 1
        r.current = None
        r.work.clear()
        self._release_held(r, "its receiver was removed before acknowledging it")
        i = q.consumers.index(r.id)
        q.consumers.pop(i)
        if q.rr > i:
            q.rr -= 1
        if q.consumers:
            q.rr %= len(q.consumers)
        else:
            q.rr = 0
        del self.receivers[r.id]
        if was_alive:
            self._sync_target_died(r.id)
        if self.sync.target == r.id:
            self.sync.target = None
        self._dispatch(q)

    def _cmd_set_receiver(self, cmd):
        r = self._receiver(cmd.receiver)
        for name, value in self._receiver_settings(cmd).items():
            setattr(r, name, value)
        self._dispatch(self.queues[r.queue])

    # ------------------------------------------------------------ broker knobs

    def _cmd_knobs(self, cmd):
        """The knob commands (spec.KNOBS names which knob each field sets)."""
        changes = {}
        for k in knobs_of(cmd.ACTION):
            value = getattr(cmd, k.command_field)
            if value is not None:
                changes[k.name] = k.to_setting(value)
        said = self._change_knobs(changes)
        return {"message": said} if said else None

    _cmd_set_retry_policy = _cmd_knobs
    _cmd_set_visibility_timeout = _cmd_knobs
    _cmd_set_detection_delay = _cmd_knobs
    _cmd_set_publisher = _cmd_knobs
    _cmd_set_expiry = _cmd_knobs

    def _cmd_set_max_length(self, cmd):
        """For every queue (the broker-wide knob; queues' own limits give way to it), or with
        ``queue`` for that queue alone (its x-max-length / x-overflow arguments)."""
        if cmd.queue is None:
            result = self._cmd_knobs(cmd)
            self._enforce_max_length()
            return result
        q = self._queue(cmd.queue)
        changes = {"max_length": cmd.max_length}
        if cmd.overflow is not None:
            changes["overflow"] = cmd.overflow
        self._change_queue(q, changes)
        return None

    def _cmd_set_queue(self, cmd):
        """One queue's own settings (spec.QUEUE_SETTINGS), like its queue arguments."""
        q = self._queue(cmd.queue)
        changes = {}
        for k in queue_settings():
            value = getattr(cmd, k.name)
            if value is not None:
                changes[k.name] = value
        self._change_queue(q, changes)
        return {
            "message": f"queue {q.name}: " + ", ".join(f"{n} = {v}" for n, v in changes.items())
        }

    def _change_queue(self, q, changes):
        """Set ``q``'s own settings, then what the change means for its messages."""
        q.own.update(changes)
        self._note_timed()
        self._enforce_max_length()
        if {"message_ttl", "retention_period"} & set(changes):
            self._retime_expiry(q)

    def _change_knobs(self, changes, *, profile=None):
        """Set knobs, then carry out what the change means for messages already under way
        (a transition: timers converted, a new length limit applied), logged readably.
        Returns a sentence about the transition ("" if nothing was under way)."""
        k = self.knobs
        before = k.to_dict()
        for name, value in changes.items():
            setattr(k, name, value)
        if profile is None:
            # A broker-wide setting applies to every queue: their own values give way to it.
            for q in self.queues.values():
                for name in QUEUE_SETTINGS:
                    if name in changes:
                        q.own.pop(name, None)
        self._note_timed()
        said = ""
        if k.return_mode != before["return_mode"]:
            said = self._convert_returns()
            if profile is None and said:
                self._log("returns_changed", None, None, 0, said)
        if (k.max_length, k.overflow) != (before["max_length"], before["overflow"]):
            self._enforce_max_length()
        timed = ("message_ttl", "retention_period")
        if any(getattr(k, n) != before[n] for n in timed) or (
            profile is None and set(timed) & set(changes)  # queues' own TTLs gave way
        ):
            for q in self.queues.values():
                self._retime_expiry(q)
        return said

    def _enforce_max_length(self):
        """A new drop-head limit applies at once: the oldest ready messages over it go."""
        for q in self.queues.values():
            max_length, overflow = self._limit(q)
            if max_length and overflow == "drop-head" and len(q.ready) > max_length:
                self._overflow(q)

    def _cmd_set_profile(self, cmd):
        p = PROFILES[cmd.profile]
        self.profile = cmd.profile
        said = self._change_knobs(p.knobs, profile=p)
        self._log("profile", None, None, 0, f"{p.label}: {said}" if said else p.label)
        message = f"behaves like: {p.label}"
        return {"message": f"{message}; {said}" if said else message}

    def _cmd_bind_queue(self, cmd):
        self._queue(cmd.queue).bound = True
        self._rebind()

    def _cmd_unbind_queue(self, cmd):
        self._queue(cmd.queue).bound = False
        self._rebind()

    def _cmd_redrive(self, cmd):
        if cmd.all:
            ids = [mid for q in self.queues.values() for mid in q.dlq]
            if not ids:
                raise CommandError("the dead-letter queue is empty")
        else:
            m = self.messages.get(cmd.message_id)
            if m is None or m.state != DEAD_LETTERED:
                raise CommandError(f"message {cmd.message_id} is not in a dead-letter queue")
            ids = [cmd.message_id]
        new_ids = [self._redrive(mid) for mid in ids]
        for q in self.queues.values():
            self._dispatch(q)
        mode = self.knobs.redrive_mode
        how = (
            "as new message ids, count reset"
            if mode == "new_id"
            else "same id, delivery count reset"
        )
        return {"redriven": ids, "new_ids": new_ids, "message": f"redrove {len(ids)} ({how})"}

    def _redrive(self, mid):
        m = self.messages[mid]
        q = self.queues[m.queue]
        del q.dlq[mid]
        self.counters["redriven"] += 1
        if self.knobs.redrive_mode == "new_id":
            new = self._new_message(m.seq, q.name, READY, m.text, m.poison)
            new.redriven_from = mid
            new.effects = m.effects  # the same order: its business effect travels with it
            self.counters["redrive_copies"] += 1
            self._set_expiry(new, q)
            self._finish(m, "dropped", f"moved back to the queue as new message {new.id}")
            self._log("redriven", mid, None, m.deliveries, f"as new message {new.id}")
            self._log("published", new.id, None, 0, f"redrive of message {mid}")
            q.ready.append(new.id)
            max_length, overflow = self._limit(q)
            if max_length and len(q.ready) > max_length and overflow == "drop-head":
                self._overflow(q)
            return new.id
        m.deliveries = 0
        m.redrives += 1
        m.reason = ""
        m.order = self.next_order
        self.next_order += 1
        m.entered_at = self.now  # back in the queue: its TTL counts from now
        self._set_expiry(m, q)
        self._enqueue(m, q, "redriven", "same id, delivery count reset")
        return mid

    # ------------------------------------------------------------ acks

    def _cmd_settle(self, cmd):
        ack = True if cmd.ack is None else cmd.ack
        accepted = self._settle(cmd.receiver, cmd.message, ack, cmd.tag)
        if accepted:
            done = "acked" if ack else "nacked"
            return {"accepted": True, "message": f"{done} message {cmd.message}"}
        return {"accepted": False, "message": "rejected by the broker: unknown delivery tag"}

    # ------------------------------------------------------------ clock

    def _cmd_pause(self, cmd):
        self.paused = True

    def _cmd_resume(self, cmd):
        self.paused = False

    def _cmd_set_speed(self, cmd):
        self.speed = cmd.speed

    def _cmd_step(self, cmd):
        """``dt``: move the clock ``dt`` seconds on (on from a step still in progress). A busy
        run may need more events than one command's budget: the step's target is kept as
        state and the next ticks continue towards it (see ``Simulation.tick``)."""
        if cmd.dt is None:
            if not self.step_once():
                return {"message": "nothing is scheduled"}
            return None
        start = self.now if self.step_target is None else self.step_target
        target = start + cmd.dt
        if target - self.now > L.MAX_STEP + 1e-9:
            raise CommandError(
                f"a step is still in progress (to {self.step_target:.1f} s); at most "
                f"{L.MAX_STEP:g} s may be ahead at once"
            )
        self.step_target = target
        if not self.advance_to(target, max_events=L.MAX_EVENTS_PER_COMMAND):
            return {"message": f"stepping to {target:.1f} s; it continues as the clock ticks"}
        return None
