"""The glossary is data: every term is defined, used in the lesson and linked from its first use."""

import re

import pytest
from django.urls import reverse

from lessons.content import GLOSSARY_HREF, ContentError, TermLinker, get_steps, load_steps
from lessons.content import render_markdown as render
from lessons.glossary import Term, get_glossary, get_terms, load_glossary

STEPS = get_steps()
TERMS = get_terms()


def _linker(*terms: Term) -> TermLinker:
    return TermLinker(terms, href="/glossary/")


def test_the_glossary_has_the_thirty_or_so_terms_the_lesson_introduces():
    assert len(TERMS) >= 30
    assert len({t.id for t in TERMS}) == len(TERMS)


def test_the_renderer_links_to_the_glossary_page_at_its_real_address():
    assert reverse("lessons:glossary") == GLOSSARY_HREF


def test_every_term_is_linked_exactly_once_in_the_lesson_at_its_first_use():
    linked = [term for step in STEPS for term in step.terms]
    assert sorted(linked) == sorted(t.id for t in TERMS)
    for entry in get_glossary():
        step = STEPS[entry.step - 1]
        anchor = f'href="/glossary/#{entry.term.anchor}"'
        assert step.body_html.count(anchor) == 1
        assert f'id="first-{entry.term.anchor}"' in step.body_html
        # Nothing earlier in the lesson used any of the term's phrases outside a link.
        for earlier in STEPS[: entry.step - 1]:
            assert anchor not in earlier.body_html


def test_a_term_is_linked_at_its_first_use_and_only_there():
    term = Term(id="backlog", term="Backlog", match=("backlog",), definition="x" * 40)
    body, _, found = render("## S\n\nA backlog grows. The backlog shrinks.\n", linker=_linker(term))
    assert body.count('class="term"') == 1
    link = (
        '<a class="term" href="/glossary/#term-backlog" hx-boost="false" id="first-term-backlog">'
        "backlog</a>"
    )
    assert f"A {link} grows." in body
    assert found.terms == ["backlog"]


def test_terms_are_not_linked_inside_headings_code_or_existing_links():
    term = Term(id="queue", term="Queue", match=("queue",), definition="x" * 40)
    linker = _linker(term)
    body, _, _ = render(
        "## The queue\n\nSee `queue` and [the queue](/x/).\n\nA **queue** at last.\n", linker=linker
    )
    assert body.count('class="term"') == 1
    assert re.search(r"<strong><a class=\"term\"[^>]*>queue</a></strong>", body)
    assert "<h2" in body and 'id="the-queue">The queue</h2>' in body
    # Linked once per lesson: a second step rendered with the same linker links nothing.
    again, _, found = render("## S\n\nAnother queue.\n", linker=linker)
    assert 'class="term"' not in again and found.terms == []


def test_phrases_match_whole_words_only_and_survive_typographic_quotes():
    ack = Term(id="ack", term="Ack", match=("ack",), definition="x" * 40)
    law = Term(id="littles-law", term="Little's law", match=("Little's law",), definition="x" * 40)
    text = "## S\n\nThe backlog and auto-ack. Little's law, then an ack.\n"
    body, _, found = render(text, linker=_linker(ack, law))
    assert found.terms == ["littles-law", "ack"]
    assert "back<a" not in body and "auto-<a" not in body


def test_a_term_the_lesson_never_uses_stops_the_site(tmp_path):
    glossary = tmp_path / "glossary.yaml"
    glossary.write_text(
        "terms:\n  - id: zebra\n    term: Zebra\n    match: [zebra crossing]\n"
        "    definition: A striped animal that this lesson about queues never mentions at all.\n"
    )
    with pytest.raises(ContentError, match="never uses.*zebra"):
        load_steps(glossary=glossary)


def _term(term_id, definition="d" * 50, match="[t]"):
    lines = [f"  - id: {term_id}", "    term: T", f"    definition: {definition}"]
    if match:
        lines.append(f"    match: {match}")
    return "terms:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("terms: []\n", "non-empty 'terms'"),
        (_term("Bad Id"), "lowercase"),
        (_term("t", definition="short"), "real definition"),
        (_term("t", match=None), "'match' lists"),
        (_term("t1", match="[same]") + _term("t2", match="[same]")[7:], "already belongs"),
    ],
)
def test_a_malformed_glossary_is_rejected_with_a_clear_message(tmp_path, yaml_text, message):
    path = tmp_path / "glossary.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ContentError, match=message):
        load_glossary(path)


def test_the_system_check_refuses_term_links_to_a_page_that_is_not_there(monkeypatch):
    from lessons import checks

    assert checks.glossary_address_check(None) == []
    monkeypatch.setattr(checks, "GLOSSARY_HREF", "/words/")
    errors = checks.glossary_address_check(None)
    assert [e.id for e in errors] == ["lessons.E002"]
