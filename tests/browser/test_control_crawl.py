"""The control crawl: every control of every scenario's playground, operated in a real browser.

Nothing here knows the page's layout. For each scenario the crawl opens the live page, pauses
the run (so only the learner's own actions change what is shown), and then, over and over,
finds every WebSocket control on the page as it is now (``[ws-send]`` forms and buttons) and
operates one it has not operated yet: every option of every select followed by its form's
submit button, every form with its fields nudged to a sensible neighbouring value, every
button. After each one it reads the page and requires:

- no refusal: no error notice came back;
- a visible effect: something the server rendered (the stage, the counters, the controls'
  own state) changed, or a success notice says what was done;
- no console error, no ``htmx:*Error`` event and no CSP violation, all run long.

Controls that appear along the way (a revived receiver's buttons, a dead letter's Redrive,
an added receiver's settings) are crawled too. Each scenario is crawled in its own browser
context (its own learner and socket), so crawls share nothing; a few run side by side, each
a generator that yields while it waits for its page, because the page's command throttle
(8 a second per socket) would make one-after-the-other crawling of every scenario slow.
"""

from __future__ import annotations

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from playground.engine import list_scenarios

REPLY_TIMEOUT = 10_000  # ms: the server answers a command (or a page goes live) well within this
MIN_GAP = 0.14  # s between two commands: below the page's 8 commands/s throttle
ACTION_TIMEOUT = 10_000  # ms for one click or select: the control is there, visible, enabled
SIDE_BY_SIDE = 4  # scenarios crawled at once
POLL = 0.01  # s between two rounds of looking at the pages
MAX_OPERATIONS = 250  # a crawl that finds more than this is looping; fail instead
PER_ACTION = 3  # at most this many targets of one kind of button (receivers, cards, redrives)

# Instrumentation installed before any page script runs: record every problem the browser
# reports, and every message the server sends.
WATCH = """
window.__problems = [];
window.__messages = [];
window.addEventListener('error', (e) => window.__problems.push('page error: ' + e.message));
window.addEventListener('unhandledrejection', (e) =>
    window.__problems.push('unhandled rejection: ' + String(e.reason)));
document.addEventListener('securitypolicyviolation', (e) => window.__problems.push(
    'CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));
['htmx:responseError', 'htmx:sendError', 'htmx:swapError', 'htmx:targetError',
 'htmx:oobErrorNoTarget', 'htmx:onLoadError', 'htmx:wsError'].forEach((name) =>
    document.addEventListener(name, (e) => window.__problems.push(
        name + ' ' + ((e.detail && e.detail.content && e.detail.content.id) || ''))));
document.addEventListener('htmx:wsAfterMessage', (e) =>
    window.__messages.push(String(e.detail.message)));
"""

# Every control on the page as it is now, as operations the crawl can perform. Each
# operation has a key (what it does), so the crawl can tell which ones it has done.
SCAN = """
() => {
  const root = document.getElementById('pg-root');
  let next = Number(root.dataset.crawlNext || 0);
  const tag = (el) => {
    if (!el.dataset.crawlId) el.dataset.crawlId = String(next++);
    return el.dataset.crawlId;
  };
  const usable = (el) => !el.disabled && !el.readOnly && el.type !== 'hidden';
  const ops = [];
  root.querySelectorAll('[ws-send]').forEach((el) => {
    if (el.tagName !== 'FORM') {
      let vals = {};
      try { vals = JSON.parse(el.getAttribute('hx-vals') || '{}'); } catch (e) {}
      if (el.disabled) return;
      ops.push({kind: 'click', action: vals.action || '?', key: 'click ' + JSON.stringify(vals),
                target: tag(el), label: el.textContent.trim().replace(/\\s+/g, ' ')});
      return;
    }
    const hidden = {};
    el.querySelectorAll('input[type=hidden]').forEach((i) => { hidden[i.name] = i.value; });
    const action = hidden.action || '?';
    const base = action + ' ' + JSON.stringify(hidden);
    const submit = el.querySelector('button[type=submit], button:not([type]), input[type=submit]');
    if (!submit || submit.disabled) return;
    const button = tag(submit);
    const label = submit.textContent.trim().replace(/\\s+/g, ' ');
    const selects = [...el.querySelectorAll('select')].filter(usable);
    // A form that sends itself when a select changes needs no click on its button.
    const sendsOnChange = /\\bchange\\b/.test(el.getAttribute('hx-trigger') || '');
    const inputs = [...el.querySelectorAll('input')].filter(
        (i) => usable(i) && ['number', 'text', 'search', ''].includes(i.type));
    // Every option of every select, starting after the one in force, so each apply is a
    // change and the last one puts the original back.
    selects.forEach((s) => {
      const values = [...s.options].map((o) => o.value);
      const current = values.indexOf(s.value);
      for (let i = 1; i <= values.length; i++) {
        const value = values[(current + i) % values.length];
        if (values.length > 1 && i === values.length && s.value === value) continue;
        // Keyed without the target (r1, r2...): each option is tried once per scenario.
        ops.push({kind: 'option', action, key: action + ' ' + s.name + '=' + value, target: tag(s),
                  value, submit: sendsOnChange ? null : button,
                  label: label + ' (' + s.name + '=' + value + ')'});
      }
    });
    if (inputs.length || !selects.length) {
      const fills = inputs.map((i) => {
        if (i.type !== 'number') return [tag(i), 'crawl'];
        // A sensible neighbouring value: one step up, or down at the top of the range.
        const step = Number(i.step) || 1, min = i.min === '' ? -Infinity : Number(i.min);
        const max = i.max === '' ? Infinity : Number(i.max);
        const now = Number(i.defaultValue || i.value || (min > -Infinity ? min : 0));
        let value = now + step <= max ? now + step : now - step;
        value = Math.max(min, Math.min(max, value));
        return [tag(i), String(Math.round(value * 1e6) / 1e6)];
      });
      ops.push({kind: 'submit', action, key: base, target: button, fills, label});
    }
  });
  root.dataset.crawlNext = String(next);
  const clock = document.getElementById('pg-clock');
  return {ops, paused: !!clock && clock.textContent.includes('Paused')};
}
"""

# What the server has rendered, as text: everything in the live view except the notice (read
# separately) and the connection line and narration (they change on their own). Fields count
# by the value the server put in them, not by what the crawl typed.
SNAPSHOT = """
() => {
  const clone = document.getElementById('pg-root').cloneNode(true);
  clone.querySelectorAll('#pg-notice, #pg-conn, #pg-narration').forEach((el) => el.remove());
  const parts = [clone.textContent.replace(/\\s+/g, ' ')];
  clone.querySelectorAll('[class]').forEach((el) => parts.push(
      [...el.classList].filter((c) => !c.startsWith('htmx-')).join('.')));
  clone.querySelectorAll('input, textarea').forEach((el) =>
      parts.push(el.name + '=' + el.getAttribute('value')));
  clone.querySelectorAll('option[selected]').forEach((el) => parts.push('selected=' + el.value));
  return parts.join('|');
}
"""


# Before an operation: open any closed <details> around the control (as a learner would, to
# reach it), forget earlier replies, and return what the page shows now.
PREPARE = """
(id) => {
  for (let el = document.querySelector(`[data-crawl-id="${id}"]`); el; el = el.parentElement) {
    if (el.tagName === 'DETAILS' && !el.open) el.querySelector('summary').click();
  }
  window.__messages = [];
  return window.__snapshot();
}
"""

# After an operation: wait for the server's answer (a notice, or a change of what is shown),
# then say what it was.
ANSWERED = """
([before, clocked]) => {
  if (!window.__messages.length) return false;  // nothing can have changed yet
  const noticed = window.__messages.some((m) => m.includes('id="pg-notice"'));
  const now = window.__snapshot();
  if (!noticed && now === before) return false;
  // With the clock running every tick changes the page: only the command's own reply (it
  // carries a notice) says it was handled.
  if (clocked && !noticed) return false;
  return {refused: window.__messages.some((m) => m.includes('notice-error')),
          changed: now !== before,
          notice: document.getElementById('pg-notice').textContent.trim()};
}
"""


class Crawl:
    """One scenario's crawl, as a generator: it yields whenever it waits for the page, so
    several scenarios' crawls can run side by side (each on its own page and learner)."""

    def __init__(self, page: Page, scenario: str) -> None:
        self.page = page
        self.scenario = scenario
        self.next_send = 0.0
        self.done: set[str] = set()
        self.per_action: dict[str, int] = {}
        self.failures: list[str] = []
        self.operated: list[str] = []

    def _el(self, crawl_id: str):
        return self.page.locator(f'[data-crawl-id="{crawl_id}"]')

    def _paced(self):
        """Wait (yielding) until the next command keeps under the page's throttle."""
        while time.monotonic() < self.next_send:
            yield
        self.next_send = time.monotonic() + MIN_GAP

    def _until(self, expression: str, arg=None, what: str = ""):
        """Yield until ``expression`` is truthy on the page; its value, or None on timeout."""
        deadline = time.monotonic() + REPLY_TIMEOUT / 1000
        while True:
            value = self.page.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                self.failures.append(f"{what}: no answer from the server")
                return None
            yield

    def _press(self, action: str):
        """Press the button of the form that sends ``action`` (pause, resume): the one Play/
        Pause button shows the form of whichever the clock's state offers."""
        yield from self._paced()
        want = "Paused" if action == "pause" else "Running"
        selector = f'#pg-root form[ws-send]:has(input[name=action][value="{action}"]) button'
        try:
            self.page.locator(selector).click(timeout=ACTION_TIMEOUT)
        except PlaywrightError as exc:
            self.failures.append(f"{action}: could not be operated: {exc.message[:300]}")
        yield from self._until(
            "(want) => document.getElementById('pg-clock').textContent.includes(want)",
            want,
            action,
        )

    def _operate(self, op: dict):
        before = self.page.evaluate(PREPARE, op["target"])
        yield from self._paced()
        self.operated.append(op["label"])
        try:
            if op["kind"] == "option":
                self._el(op["target"]).select_option(op["value"], timeout=ACTION_TIMEOUT)
                if op["submit"] is not None:
                    self._el(op["submit"]).click(timeout=ACTION_TIMEOUT)
            elif op["kind"] == "submit":
                for crawl_id, value in op["fills"]:
                    self._el(crawl_id).fill(value, timeout=ACTION_TIMEOUT)
                self._el(op["target"]).click(timeout=ACTION_TIMEOUT)
            else:
                self._el(op["target"]).click(timeout=ACTION_TIMEOUT)
        except PlaywrightError as exc:
            self.failures.append(f"{op['label']}: could not be operated: {exc.message[:300]}")
            return
        clocked = op["action"] in ("pause", "resume")
        answer = yield from self._until(ANSWERED, [before, clocked], op["label"])
        if answer is None:
            return
        if answer["refused"]:
            self.failures.append(f"{op['label']}: refused: {answer['notice']}")
        elif not answer["changed"] and not answer["notice"]:
            self.failures.append(f"{op['label']}: nothing visible changed and no notice says why")

    def run(self):
        self.page.goto(f"/playground/{self.scenario}/")
        yield from self._until(
            "() => document.getElementById('pg-conn').dataset.state === 'open'", None, "connect"
        )
        for _ in range(MAX_OPERATIONS):
            scan = self.page.evaluate(SCAN)
            todo = [op for op in scan["ops"] if op["key"] not in self.done]
            todo = [op for op in todo if self.per_action.get(op["action"], 0) < PER_ACTION]
            if not todo:
                return
            # Selects first, then forms with fields, then plain buttons in page order: a
            # button (Remove, Start over) may take away what the others would set.
            todo.sort(key=_rank)
            op = todo[0]
            # Paused, only the crawl's own action changes what is shown; Pause itself is
            # tried on a running clock.
            wanted = op["action"] != "pause"
            if scan["paused"] != wanted:
                yield from self._press("pause" if wanted else "resume")
                continue  # the page changed: scan it again
            self.done.add(op["key"])
            if op["kind"] != "option":
                self.per_action[op["action"]] = self.per_action.get(op["action"], 0) + 1
            yield from self._operate(op)
        self.failures.append(f"more than {MAX_OPERATIONS} operations: the crawl is looping")

    def problems(self) -> list[str]:
        seen = self.page.evaluate("() => window.__problems")
        return seen + [f"console error: {text}" for text in self.page.console_errors]


def _rank(op: dict) -> int:
    """Selects first, then forms with fields, then plain buttons (and cards)."""
    if op["kind"] == "option":
        return 0
    return 1 if op["kind"] == "submit" and op["fills"] else 2


def _new_page(browser, base_url) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH + "window.__snapshot = " + SNAPSHOT + ";")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    return page


def test_every_control_of_every_scenario_works_and_shows_what_it_did(browser, base_url):
    crawls = [Crawl(_new_page(browser, base_url), scenario) for scenario in list_scenarios()]
    waiting = list(crawls)
    running = {}
    # A few scenarios at a time, each on its own page and learner; their waits overlap.
    while waiting or running:
        while waiting and len(running) < SIDE_BY_SIDE:
            crawl = waiting.pop(0)
            running[crawl] = crawl.run()
        for crawl, steps in list(running.items()):
            try:
                next(steps)
            except StopIteration:
                del running[crawl]
        time.sleep(POLL)  # between two looks at the pages; every wait above has a deadline
    report = []
    for crawl in crawls:
        problems = crawl.failures + crawl.problems()
        if len(crawl.operated) < 10:
            problems.append(f"only {len(crawl.operated)} controls found: {crawl.operated}")
        report += [f"{crawl.scenario}: {line}" for line in problems]
        crawl.page.context.close()
    assert not report, "\n".join(report)
