"""The glossary: terms the lesson introduces, loaded from ``lessons/content/glossary.yaml``.

Each term lists the phrases the steps use for it. While the steps render (in order), the first
phrase found outside headings, code and links becomes a link to the term's anchor on the
glossary page; :func:`get_glossary` then knows in which step each term first appears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from lessons.content import CONTENT_DIR, SLUG_RE, ContentError

GLOSSARY_FILE = CONTENT_DIR / "glossary.yaml"
# Python-Markdown's smarty extension stores typographic quotes as placeholders like
# "\x02wzxhzdk:3\x03" in the tree, so an apostrophe in a phrase must match those as well.
APOSTROPHE = r"(?:'|’|\x02wzxhzdk:\d+\x03)"


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    term: str
    match: tuple[str, ...]
    definition: str

    @property
    def anchor(self) -> str:
        return f"term-{self.id}"


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """A term as the glossary page shows it: where the lesson first uses it."""

    term: Term
    step: int
    step_title: str


def phrase_pattern(phrase: str) -> str:
    """A regex for a whole phrase: case is free, any run of spaces matches a space."""
    parts = [re.escape(part) for part in phrase.split("'")]
    body = APOSTROPHE.join(parts).replace(r"\ ", r"\s+")
    return rf"(?<![\w-]){body}(?![\w-])"


def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[Term, ...]:
    """Load and validate the glossary file."""
    data = yaml.safe_load(path.read_text()) or {}
    raw = data.get("terms")
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{path.name}: needs a non-empty 'terms' list")
    terms: list[Term] = []
    seen_ids: set[str] = set()
    seen_phrases: dict[str, str] = {}
    for i, item in enumerate(raw):
        where = f"{path.name}: term {i + 1}"
        if not isinstance(item, dict):
            raise ContentError(f"{where}: must be a mapping")
        term_id = str(item.get("id", ""))
        if not SLUG_RE.match(term_id):
            raise ContentError(f"{where}: id {term_id!r} must be lowercase-hyphenated")
        if term_id in seen_ids:
            raise ContentError(f"{where}: id {term_id!r} is used twice")
        seen_ids.add(term_id)
        name = str(item.get("term", "")).strip()
        definition = " ".join(str(item.get("definition", "")).split())
        match = item.get("match")
        if not name or len(definition) < 40:
            raise ContentError(f"{where} ({term_id}): needs a term and a real definition")
        if not isinstance(match, list) or not match or not all(str(m).strip() for m in match):
            raise ContentError(f"{where} ({term_id}): 'match' lists the phrases the text uses")
        for phrase in match:
            key = str(phrase).lower()
            if key in seen_phrases:
                raise ContentError(
                    f"{where} ({term_id}): phrase {phrase!r} already belongs to "
                    f"{seen_phrases[key]!r}"
                )
            seen_phrases[key] = term_id
        terms.append(
            Term(
                id=term_id,
                term=name,
                match=tuple(str(m) for m in match),
                definition=definition,
            )
        )
    return tuple(terms)


@cache
def get_terms() -> tuple[Term, ...]:
    return load_glossary()


def get_glossary() -> tuple[GlossaryEntry, ...]:
    """Every term, alphabetically, with the step that first uses (and links) it."""
    from lessons.content import get_steps

    first: dict[str, tuple[int, str]] = {}
    for step in get_steps():
        for term_id in step.terms:
            first.setdefault(term_id, (step.number, step.title))
    entries = [
        GlossaryEntry(term=t, step=first[t.id][0], step_title=first[t.id][1]) for t in get_terms()
    ]
    return tuple(sorted(entries, key=lambda e: e.term.term.casefold()))
