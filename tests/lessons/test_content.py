"""The lesson content files are data: these tests hold them to the shape the site relies on."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lessons.content import DIAGRAMS_DIR, ContentError, get_steps, load_step, render_markdown
from playground.catalog import scenario_names

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


def _write_step(tmp_path, name="04-queues.md", **overrides):
    meta = {
        "number": 4,
        "slug": "queues",
        "title": "Queues",
        "summary": "S",
        "scenario": "slow-receiver",
        "try_it": "T",
        "key_insight": "K",
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


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": None}, "missing title"),
        ({"key_insight": None}, "missing key_insight"),
        ({"number": 5}, "number must be"),
        ({"slug": "Bad_Slug"}, "slug must be"),
        ({"scenario": "Not A Name"}, "not a well-formed name"),
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
