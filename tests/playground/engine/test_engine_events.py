"""Event kinds are declared once (engine/events.py); nothing logs, words, filters or narrates
a kind that is not declared, and the engine's modules import each other without a circle."""

import ast
import re
from contextlib import suppress
from pathlib import Path

import pytest

import playground.engine
from playground import presenters as P
from playground import protocol
from playground.engine import CommandError, Simulation, list_scenarios
from playground.engine.events import EVENT_GROUPS, EVENT_KINDS, NOTABLE, kinds_in_group

ENGINE = Path(playground.engine.__file__).parent
ROOT = ENGINE.parent.parent
KIND_NAME = re.compile(r"^[a-z]+(_[a-z]+)*$")


def _logged_kind_literals():
    """Kinds the engine's source logs: ``_log("kind", ...)`` and ``events.append((.., "kind"``."""
    found = set()
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "_log" and node.args and isinstance(node.args[0], ast.Constant):
                found.add((path.name, node.args[0].value))
            elif name == "append" and node.args and isinstance(node.args[0], ast.Tuple):
                items = node.args[0].elts
                if len(items) == 7 and isinstance(items[2], ast.Constant):
                    found.add((path.name, items[2].value))
    return found


def test_every_kind_the_engine_logs_is_declared():
    logged = _logged_kind_literals()
    assert len(logged) > 20
    unknown = {(f, k) for f, k in logged if k not in EVENT_KINDS}
    assert not unknown


def test_every_event_of_every_scenario_has_a_declared_kind_and_a_sentence():
    script = [
        {"action": "burst", "n": 10},
        {"action": "set_receiver", "receiver": "r1", "failure_rate": 0.5, "crash_rate": 0.2},
        {"action": "set_max_length", "max_length": 3, "overflow": "drop-head"},
        {"action": "kill_receiver", "receiver": "r1"},
        {"action": "call"},
        {"action": "set_profile", "profile": "sqs-standard"},
        {"action": "redrive", "all": True},
        {"action": "remove_receiver", "receiver": "r2"},
        {"action": "set_max_length", "max_length": 2, "overflow": "reject-publish"},
        {"action": "burst", "n": 10},
    ]
    seen = set()
    for name in list_scenarios():
        sim = Simulation.from_scenario(name, 3, event_log_limit=None)
        for command in script:
            with suppress(CommandError):
                sim.apply(command)
            sim.advance(7.0)
        for e in sim.events_since(0):
            assert e["kind"] in EVENT_KINDS, e
            assert P.event_text(e)
            seen.add(e["kind"])
    assert len(seen) > 20


def test_the_presenters_have_one_sentence_per_wording_key_and_no_other():
    assert set(P.EVENT_TEXT) == {k.wording_key for k in EVENT_KINDS.values()}


def test_narration_and_log_filters_come_from_the_declared_kinds():
    assert set(P.ORDINARY_WORDS) <= set(EVENT_KINDS)
    assert set(P.ORDINARY_WORDS).isdisjoint(NOTABLE)
    assert P.narration_text.__defaults__[0] is NOTABLE
    assert set(protocol.EVENT_FILTERS) == {"all", *EVENT_GROUPS}
    assert set(P.FILTER_KINDS) == set(EVENT_GROUPS)
    for group in EVENT_GROUPS:
        assert kinds_in_group(group), f"filter {group!r} would always be empty"
    for kind in EVENT_KINDS.values():
        assert set(kind.groups) <= set(EVENT_GROUPS), kind
    with pytest.raises(KeyError):
        kinds_in_group("nonsense")


def _kind_sets_in(path):
    """Kind names a module spells out: keys and members of module-level tables whose name
    says they are about events (EVENT_*, NOTABLE*, ORDINARY*, *KINDS)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        label = " ".join(t.id for t in targets if isinstance(t, ast.Name))
        if not re.search(r"EVENT|NOTABLE|ORDINARY|KINDS", label) or "FIELDS" in label:
            continue
        value = node.value
        if isinstance(value, ast.Call) and value.args:  # frozenset({...}), set([...])
            value = value.args[0]
        if isinstance(value, ast.Dict):
            keys = value.keys
        elif isinstance(value, ast.Set | ast.List | ast.Tuple):
            keys = value.elts
        else:
            continue
        names |= {k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return {n for n in names if KIND_NAME.match(n)}


@pytest.mark.parametrize("module", ["playground/presenters.py", "playground/live.py"])
def test_a_presenter_or_the_live_session_naming_an_unknown_kind_fails(module):
    named = _kind_sets_in(ROOT / module)
    assert not named - set(EVENT_KINDS) - set(EVENT_GROUPS) - {"all"}


def test_a_template_or_the_stylesheet_naming_an_unknown_kind_fails():
    texts = [p.read_text() for p in (ROOT / "templates").rglob("*.html")]
    texts += [p.read_text() for p in (ROOT / "static").rglob("*.css")]
    named = set()
    for text in texts:
        named |= set(re.findall(r"\bev-([a-z]+(?:_[a-z]+)*)\b", text))
        named |= set(re.findall(r"\be\.kind\s*==\s*[\"']([a-z_]+)[\"']", text))
    named -= {"time"}  # .ev-time is the log row's time stamp, not a kind
    assert named, "the check found nothing to check"
    assert not named - set(EVENT_KINDS)


def _engine_imports():
    """module -> engine modules it imports (anywhere in it, function-level imports too)."""
    graph = {}
    for path in ENGINE.glob("*.py"):
        me = path.stem
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps |= {alias.name for alias in node.names}
        graph[me] = deps - {me}
    return graph


def test_the_engine_has_no_import_circle():
    graph = _engine_imports()
    assert "events" in graph and not graph["events"], "events.py is a leaf"
    state = {}

    def visit(node, path):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"import circle: {' -> '.join([*path, node])}"
        state[node] = "open"
        for dep in sorted(graph.get(node, ())):
            if dep in graph:
                visit(dep, [*path, node])
        state[node] = "done"

    for module in sorted(graph):
        visit(module, [])
