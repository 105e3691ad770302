"""The lesson content files are data: these tests hold them to the shape the site relies on."""

import math
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from lessons.content import (
    DIAGRAMS_DIR,
    WORDS_PER_MINUTE,
    ContentError,
    get_steps,
    lesson_minutes,
    load_step,
    reading_minutes,
    render_markdown,
)
from lessons.quizzes import get_assessment, get_predictions, get_quizzes
from playground.catalog import scenario_names
from playground.engine import load_scenario

ROOT = Path(__file__).resolve().parents[2]

STEPS = get_steps()


def test_the_lesson_has_nine_steps_numbered_in_order():
    assert [s.number for s in STEPS] == list(range(1, 10))


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.slug)
def test_every_step_has_what_a_learner_needs(step):
    assert step.title and step.summary and step.key_insight and step.try_it
    assert len(step.body_html) > 1500, "the body should be a real explanation"
    assert step.toc, "sections make the table of contents"
    assert step.diagrams, "every step shows at least one diagram"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", step.scenario)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.slug)
def test_every_try_it_names_an_existing_playground_scenario(step):
    assert step.scenario in scenario_names()


def test_step_bodies_hold_no_raw_html_and_no_leftover_diagram_markers():
    for step in STEPS:
        assert "<script" not in step.source.lower()
        assert "[[diagram" not in step.body_html


def test_the_lesson_follows_the_lesson_map_scenarios():
    expected = {
        1: "phone-vs-letter",
        2: "sync-blocks",
        3: "async-moves-on",
        4: "slow-receiver",
        5: "fan-out",
        9: "sandbox",
    }
    for number, scenario in expected.items():
        assert STEPS[number - 1].scenario == scenario
    assert STEPS[5].scenario in {"poison-message", "flaky-receiver"}
    assert STEPS[6].scenario in {"ordering", "crash-before-ack"}
    assert STEPS[7].scenario == "under-the-hood"


DIAGRAM_FILES = sorted(DIAGRAMS_DIR.glob("*.html"))


@pytest.mark.parametrize("path", DIAGRAM_FILES, ids=lambda p: p.stem)
def test_every_diagram_is_accessible_svg_without_inline_styles(path: Path):
    text = path.read_text()
    root = ET.fromstring(text)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == "figure" and root.get("id") == f"diagram-{path.stem}"
    svg = root.find("svg") if root.find("svg") is not None else root.find(f"{ns}svg")
    assert svg is not None
    assert svg.get("role") == "img"
    labelled = svg.get("aria-labelledby", "").split()
    ids = {el.get("id") for el in svg.iter() if el.get("id")}
    assert labelled and all(i in ids for i in labelled)
    title = [el for el in svg.iter() if el.tag.endswith("title")]
    desc = [el for el in svg.iter() if el.tag.endswith("desc")]
    assert title and title[0].text.strip() and desc and len(desc[0].text.strip()) > 40
    assert root.find("figcaption") is not None
    # The Content-Security-Policy forbids inline styles; colours come from site.css classes.
    assert "style=" not in text and "<style" not in text and "<script" not in text
    assert not re.search(r"\b(fill|stroke)=\"#", text)
    # Marker ids are prefixed so several diagrams can share one page.
    for marker_id in re.findall(r'<marker[^>]*id="([^"]+)"', text):
        assert marker_id.startswith(f"dg-{path.stem}")


def test_every_diagram_is_used_by_some_step():
    used = {name for s in STEPS for name in s.diagrams}
    assert {p.stem for p in DIAGRAM_FILES} <= used


def test_a_steps_reading_time_follows_its_words_and_diagrams():
    words = " ".join(["queue"] * (WORDS_PER_MINUTE * 3))
    assert reading_minutes(words, diagrams=0) == 3
    assert reading_minutes(words + " more", diagrams=0) == 4
    assert reading_minutes(words, diagrams=3) == 4
    # Marker lines are not prose.
    assert reading_minutes(words + "\n[[diagram: fan-out]]\n", diagrams=0) == 3


def test_the_lesson_time_is_the_sum_of_the_steps_and_each_step_is_readable_in_one_sitting():
    assert lesson_minutes() == sum(s.reading_minutes for s in STEPS)
    for step in STEPS:
        words = len(step.source.split())
        assert step.reading_minutes >= math.floor(words / WORDS_PER_MINUTE)
        assert step.reading_minutes <= 12, f"step {step.number} is too long to read in one go"


def test_a_front_matter_reading_time_is_refused_because_it_would_drift(tmp_path):
    with pytest.raises(ContentError, match="reading_minutes is computed"):
        load_step(_write_step(tmp_path, reading_minutes=5))


def _fan_out_subscribers() -> set[str]:
    return {queue["name"] for queue in load_scenario("fan-out").queues}


def test_the_fan_out_subscribers_are_the_same_in_scenario_step_text_and_diagram():
    subscribers = _fan_out_subscribers()
    assert len(subscribers) == 3
    step = STEPS[4]
    assert step.scenario == "fan-out"
    text = step.source.lower()
    for name in subscribers:
        assert name in text, f"step 5 should name the {name!r} subscriber"
    root = ET.fromstring((DIAGRAMS_DIR / "fan-out.html").read_text())
    drawn = {el.get("data-subscriber") for el in root.iter() if el.get("data-subscriber")}
    assert drawn == subscribers


# The ideas issue 11 found missing: where each is taught (step, section heading), the diagrams in
# that section, the scenario it points to ([[try: ...]], "coming soon" until the engine ships it;
# None where no simulation is planned), and the quiz items that ask about it.
NEW_TOPICS = [
    ("dual write and outbox", 8, "Saving and publishing", ["dual-write-outbox"], "outbox",
     ["save-then-publish-crash", "dual-write", "outbox-relay-crash"]),
    ("queues versus logs", 5, "Queues and logs", ["queue-vs-log"], "per-key-ordering",
     ["log-keeps-read-records", "log-deletes-on-commit"]),
    ("backpressure", 4, "When the backlog never shrinks", ["backlog-growth", "overload-choices"],
     "backpressure", ["overload-backpressure", "littles-law-backlog", "littles-law-wait"]),
    ("delivery guarantees", 7, "Delivery guarantees, named", ["delivery-guarantees"],
     "crash-before-ack", ["queue-exactly-once", "republish-duplicates", "ack-before-work"]),
    ("sagas", 7, "When not to go async", ["saga"], None, ["saga-isolation"]),
    ("202 Accepted", 3, "Accepted now, finished later", ["accepted-status"], "async-moves-on",
     ["accepted-status"]),
]  # fmt: skip


def _section(step, heading: str) -> str:
    parts = re.split(r"^## ", step.source, flags=re.M)
    (section,) = [part for part in parts if part.startswith(heading)]
    return section


@pytest.mark.parametrize(
    ("topic", "number", "heading", "diagrams", "scenario", "questions"),
    NEW_TOPICS,
    ids=[topic[0] for topic in NEW_TOPICS],
)
def test_each_new_idea_has_its_section_diagram_playground_link_and_quiz_items(
    topic, number, heading, diagrams, scenario, questions
):
    section = _section(STEPS[number - 1], heading)
    for diagram in diagrams:
        assert f"[[diagram: {diagram}]]" in section, f"{topic}: no {diagram} diagram"
    if scenario:
        assert f"[[try: {scenario} |" in section, f"{topic}: no link to {scenario}"
    asked = {q.id: q for quiz in get_quizzes().values() for q in quiz.questions}
    asked |= {q.id: q for q in get_predictions().values()}
    asked |= {q.id: q for q in get_assessment().questions}
    for qid in questions:
        assert qid in asked and asked[qid].step == number, f"{topic}: {qid} asks about it"


def test_step_fours_arithmetic_on_the_slow_receiver_scenario_matches_the_scenario_file():
    """Step 4 works out capacity and headroom on the playground's slow-receiver scenario: two
    messages a second in, about a second of work each. If the file changes, the sums must too."""
    scenario = load_scenario("slow-receiver")
    (receiver,) = scenario.receivers
    arrivals, capacity_each = scenario.rate, 1 / receiver["mean_time"]
    assert (arrivals, capacity_each) == (2.0, 1.0)
    text = re.sub(r"\s+", " ", _section(STEPS[3], "When the backlog never shrinks"))
    assert "slow-receiver scenario publishes two messages a second" in text
    assert "a receiver that needs about a second each" in text
    assert "the queue gains roughly one message a second" in text  # 2 - 1
    assert "capacity to two a second, equal to the arrivals" in text  # 2 x 1 = 2
    assert "A third receiver gives a margin of one message a second" in text  # 3 - 2
    assert "a backlog of 30 drains in about half a minute" in text  # 30 / 1 s


def test_the_last_step_names_each_quiz_by_its_title_and_links_it():
    """The myth-busters became "Fact or myth?" (issue 11): the lesson calls the quizzes what
    their pages call them."""
    step9 = STEPS[8].source
    for quiz in [*get_quizzes().values(), get_assessment()]:
        assert f"[{quiz.title}](/quizzes/{quiz.slug}/)" in step9, quiz.title
    assert "myth-busters" not in step9.lower()


def test_step_five_keeps_its_promise_to_explain_replayable_logs():
    step5 = STEPS[4].source.lower()
    for idea in ("retention", "offset", "consumer group", "replay", "partition"):
        assert idea in step5, f"step 5 promises logs but does not explain {idea!r}"
    assert "queue-vs-log" in STEPS[4].diagrams


# Statements a review found false (issue 11). Each entry: a pattern that must not come back, the
# rule it broke, and the source of that rule.
KNOWN_FALSE = [
    (
        r"with replicas, for durable",
        "durable is not replicated",
        "rabbitmq.com/docs/quorum-queues",
    ),
    (
        r"real brokers promise \*?at-least-once",
        "auto-ack is at-most-once",
        "rabbitmq.com/docs/confirms",
    ),
    (
        r"only on the ack does the broker delete",
        "logs keep records until retention",
        "Kafka design",
    ),
    (
        r"only an ack ends its journey",
        "expiry and limits end it too",
        "rabbitmq.com/docs/ttl, dlx",
    ),
    (
        r"count only ever goes up",
        "a redrive starts a new count",
        "SQS developer guide, redrive",
    ),
    (
        r"never delivered from the main queue again\.",
        "unless redriven",
        "SQS developer guide, redrive",
    ),
    (
        r"lands back in the line behind newer",
        "requeue goes to the old place",
        "rabbitmq.com/docs/confirms",
    ),
    (
        r"which is what kafka partitions and sqs fifo",
        "FIFO groups are not pinned",
        "SQS guide, FIFO",
    ),
    (
        r"queues deliver at least once",
        "auto-ack is at-most-once",
        "rabbitmq.com/docs/confirms",
    ),
    (
        r"more on that in step 8",
        "step 5 explains logs itself",
        "issue 11, item 9",
    ),
    (
        r"a queue hands messages out in the order",
        "SQS standard order is best-effort",
        "SQS guide",
    ),
]


# Fields of the quiz files that state a misconception on purpose (the belief a reveal refutes, the
# belief behind a distractor): a false statement there is the point, not a slip.
MISCONCEPTION_FIELDS = {"belief", "misconception"}


def _strings(data, skip=frozenset()):
    """Every string in a loaded YAML document, leaving out the values of the ``skip`` keys."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value, skip)


def _learner_texts() -> list[tuple[str, str]]:
    """Everything a learner or teacher reads: steps, quizzes, glossary, recap, every template,
    scenarios and experiments, and the engine's event wording."""
    texts = [(f"step {s.number}", f"{s.source}\n{s.key_insight}\n{s.try_it}") for s in STEPS]
    content = ROOT / "lessons" / "content"
    for path in sorted(content.rglob("*.yaml")):
        loaded = yaml.safe_load(path.read_text())
        texts.append((path.name, "\n".join(_strings(loaded, MISCONCEPTION_FIELDS))))
    templates = sorted(ROOT.glob("templates/**/*.html"))
    texts += [(str(p.relative_to(ROOT)), p.read_text()) for p in templates]
    engine = ROOT / "playground" / "engine"
    texts += [(p.name, p.read_text()) for p in sorted(engine.glob("*/*.toml"))]
    texts.append(("engine/events.py", (engine / "events.py").read_text()))
    return texts


def test_the_false_statement_check_reads_quizzes_glossary_and_templates_too():
    names = {where for where, _ in _learner_texts()}
    assert {"myths.yaml", "assessment.yaml", "glossary.yaml", "takeaways.yaml"} <= names
    assert "templates/lessons/home.html" in names
    assert "templates/lessons/diagrams/fan-out.html" in names
    # ...but not the misconceptions the quizzes state on purpose.
    myths = dict(_learner_texts())["myths.yaml"]
    belief = "A message queue delivers each message once and once only."
    assert belief not in re.sub(r"\s+", " ", myths)


@pytest.mark.parametrize(
    ("pattern", "rule", "source"), KNOWN_FALSE, ids=[rule for _, rule, _ in KNOWN_FALSE]
)
def test_statements_found_false_do_not_come_back(pattern, rule, source):
    for where, text in _learner_texts():
        flat = re.sub(r"\s+", " ", text.replace("\\\n", " ")).lower()
        assert not re.search(pattern, flat), f"{where} says something false ({rule}; {source})"


def test_a_paragraph_that_ties_a_nack_to_the_delivery_count_names_the_broker_version():
    """Issue 11, item 5: RabbitMQ 4.3 quorum queues stopped counting basic.nack (rabbitmq.com/docs/
    4.3/nack; 4.0 to 4.2 counted every return), so "a nack raises the count" needs its version."""
    for step in STEPS:
        for paragraph in re.split(r"\n\s*\n", step.source):
            flat = paragraph.lower().replace("delivery-count", "delivery count")
            if "nack" in flat and "delivery count" in flat:
                assert "4.3" in flat, f"step {step.number}: name the version: {paragraph[:80]}"


def test_a_killed_receiver_is_taught_as_two_cases_refused_or_silent():
    step2 = STEPS[1].source.lower()
    assert "refused at once" in step2 and "silence until the timeout" in step2
    experiment = tomllib.loads(
        (ROOT / "playground/engine/experiments/step2-sync-wait.toml").read_text()
    )
    assert "refused at once" in experiment["variation_explanation"]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.slug)
def test_every_try_pointer_links_when_its_scenario_exists_and_says_coming_soon_otherwise(step):
    for scenario in step.tries:
        link = f'href="/playground/{scenario}/"'
        if scenario in scenario_names():
            assert link in step.body_html
        else:
            assert f'data-scenario="{scenario}"' in step.body_html
            assert "Coming soon to the playground" in step.body_html


def test_a_try_pointer_turns_into_a_link_once_the_scenario_exists():
    text = "## S\n\n[[try: fan-out | Watch the copies.]]\n\n[[diagram: fan-out]]\n"
    soon, _, found = render_markdown(text, scenario_names=frozenset())
    assert "Coming soon to the playground" in soon and "/playground/fan-out/" not in soon
    assert found.tries == ["fan-out"]
    ready, _, _ = render_markdown(text, scenario_names=frozenset({"fan-out"}))
    assert 'href="/playground/fan-out/"' in ready and "Coming soon" not in ready
    assert "One event, three subscribers" in ready  # the scenario's own title


def test_a_malformed_marker_line_is_rejected():
    with pytest.raises(ContentError, match="malformed marker"):
        render_markdown("## S\n\n[[try: no description]]\n")


def _write_step(tmp_path, name="04-queues.md", **overrides):
    meta = {
        "number": 4,
        "slug": "queues",
        "title": "Queues",
        "summary": "S",
        "scenario": "slow-receiver",
        "try_it": "T",
        "key_insight": "K",
        "objectives": '["Explain what a queue is", "Say when a queue helps"]',
    }
    meta.update(overrides)
    front = "\n".join(f"{k}: {v}" for k, v in meta.items() if v is not None)
    body = "## A section\n\nText.\n\n[[diagram: sender-queue-receiver]]\n"
    path = tmp_path / name
    path.write_text(f"---\n{front}\n---\n{body}")
    return path


def test_a_well_formed_step_file_loads(tmp_path):
    step = load_step(_write_step(tmp_path))
    assert step.diagrams == ("sender-queue-receiver",)
    assert step.toc[0].title == "A section"
    assert step.objectives == ("Explain what a queue is", "Say when a queue helps")


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.slug)
def test_every_step_states_two_to_four_learning_objectives(step):
    assert 2 <= len(step.objectives) <= 4
    assert len(set(step.objectives)) == len(step.objectives)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": None}, "missing title"),
        ({"key_insight": None}, "missing key_insight"),
        ({"number": 5}, "number must be"),
        ({"slug": "Bad_Slug"}, "slug must be"),
        ({"scenario": "Not A Name"}, "not a well-formed name"),
        ({"objectives": None}, "objectives must list 2 to 4"),
        ({"objectives": '["Only one"]'}, "objectives must list 2 to 4"),
        ({"objectives": '["lower case start", "Fine"]'}, "should start with a capital"),
        ({"objectives": '["Ends with a full stop.", "Fine"]'}, "without a full stop"),
    ],
)
def test_malformed_step_files_are_rejected_with_a_clear_message(tmp_path, overrides, message):
    with pytest.raises(ContentError, match=message):
        load_step(_write_step(tmp_path, **overrides))


def test_an_unknown_scenario_is_rejected(tmp_path):
    with pytest.raises(ContentError, match="does not exist"):
        load_step(_write_step(tmp_path, scenario="no-such"), scenario_names=frozenset({"a"}))


def test_an_unknown_diagram_is_rejected():
    with pytest.raises(ContentError, match="no template"):
        render_markdown("## S\n\n[[diagram: no-such-diagram]]\n")
