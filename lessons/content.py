"""Lesson content: Markdown files with front matter under ``lessons/content/steps/``.

Content is data under version control. This module loads it once, validates it, and
renders the Markdown with Python-Markdown. Two kinds of marker line are understood in a
step's body:

- ``[[diagram: name]]`` places the accessible SVG diagram
  ``templates/lessons/diagrams/<name>.html`` there;
- ``[[try: scenario | what to try]]`` places a "try it" pointer to a playground scenario. If
  the scenario does not exist yet (the engine team builds it), the pointer says "coming soon"
  instead of linking, and turns into a link by itself once the scenario's file lands.

A step's reading time is computed from its words and diagrams, so the estimates (and the
home page's total) cannot drift from the text. Glossary terms (``glossary.yaml``) are linked
from their first use in the lesson by :class:`TermLinker`, from the data: nobody writes those
links by hand.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import frontmatter
import markdown
from django.template.loader import render_to_string
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

CONTENT_DIR = Path(__file__).resolve().parent / "content"
STEPS_DIR = CONTENT_DIR / "steps"
DIAGRAMS_DIR = Path(__file__).resolve().parent.parent / "templates" / "lessons" / "diagrams"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DIAGRAM_LINE_RE = re.compile(r"^\[\[diagram:\s*([a-z0-9-]+)\s*\]\]\s*$")
TRY_LINE_RE = re.compile(r"^\[\[try:\s*([a-z0-9-]+)\s*\|\s*(.+?)\s*\]\]\s*$")
MARKER_RE = re.compile(r"^\[\[[a-z]+:")
# Reading speed for explanatory technical text, and the time a diagram takes to read.
WORDS_PER_MINUTE = 180
DIAGRAM_MINUTES = 1 / 3
STEP_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md$")
REQUIRED_FIELDS = ("number", "slug", "title", "summary", "scenario", "try_it", "key_insight")
# The glossary page's address. A constant, not reverse(): content loads in the system check,
# before URL configuration is guaranteed to be importable; a test checks it matches the URL.
GLOSSARY_HREF = "/glossary/"


class ContentError(ValueError):
    """A content file is missing something or has something malformed."""


@dataclass(frozen=True, slots=True)
class TocEntry:
    anchor: str
    title: str


@dataclass(frozen=True, slots=True)
class Step:
    """One lesson step, ready to show."""

    number: int
    slug: str
    title: str
    summary: str
    scenario: str
    try_it: str
    key_insight: str
    reading_minutes: int
    body_html: str
    toc: tuple[TocEntry, ...]
    diagrams: tuple[str, ...]
    tries: tuple[str, ...]  # scenarios named by [[try: ...]] lines, in order
    terms: tuple[str, ...]  # glossary terms first used (and linked) in this step
    objectives: tuple[str, ...]
    source: str


@dataclass(slots=True)
class Markers:
    """What the marker lines (and the glossary linker) of one body found while it renders."""

    diagrams: list[str]
    tries: list[str]
    terms: list[str]


# Where a term is not linked: headings (they feed the table of contents), code and links.
NO_TERM_LINKS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre"})


class TermLinker:
    """Links each glossary term once, at its first use, across all the steps rendered in order.

    One linker is shared by the steps of a lesson; each step's rendering calls :meth:`link`
    on its element tree, and the terms it links are then no longer pending for later steps.
    """

    def __init__(self, terms, href: str) -> None:
        from lessons.glossary import phrase_pattern

        self.href = href
        self.pending = {t.id for t in terms}
        self.anchors = {t.id: t.anchor for t in terms}
        phrases = sorted(((p, t.id) for t in terms for p in t.match), key=lambda x: -len(x[0]))
        self.term_of = {}
        groups = []
        for i, (phrase, term_id) in enumerate(phrases):
            groups.append(f"(?P<p{i}>{phrase_pattern(phrase)})")
            self.term_of[f"p{i}"] = term_id
        self.regex = re.compile("|".join(groups), re.IGNORECASE)

    def link(self, root, found: Markers) -> None:
        self._walk(root, found)

    def _walk(self, el, found: Markers) -> None:
        if el.tag in NO_TERM_LINKS or not self.pending:
            return
        if el.text:
            el.text, links = self._split(el.text, found)
            for i, a in enumerate(links):
                el.insert(i, a)
        for child in list(el):
            self._walk(child, found)
            if child.tail:
                child.tail, links = self._split(child.tail, found)
                at = list(el).index(child) + 1
                for i, a in enumerate(links):
                    el.insert(at + i, a)

    def _split(self, text: str, found: Markers):
        """Cut ``text`` at the first pending terms; return the leading text and new links."""
        import xml.etree.ElementTree as ET

        links = []
        lead, rest = "", text
        while self.pending:
            match = next(
                (m for m in self.regex.finditer(rest) if self.term_of[m.lastgroup] in self.pending),
                None,
            )
            if match is None:
                break
            term_id = self.term_of[match.lastgroup]
            self.pending.discard(term_id)
            found.terms.append(term_id)
            a = ET.Element(
                "a",
                {
                    "href": f"{self.href}#{self.anchors[term_id]}",
                    "class": "term",
                    "id": f"first-{self.anchors[term_id]}",
                    # A full page load lands on the anchor; htmx's boosted swap does not.
                    "hx-boost": "false",
                },
            )
            a.text = match.group(0)
            a.tail = rest[match.end() :]
            if links:
                links[-1].tail = rest[: match.start()]
            else:
                lead = rest[: match.start()]
            links.append(a)
            rest = a.tail
        if not links:
            return text, []
        return lead, links


class TermTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, linker: TermLinker, found: Markers) -> None:
        super().__init__(md)
        self.linker = linker
        self.found = found

    def run(self, root):
        self.linker.link(root, self.found)


class MarkerPreprocessor(Preprocessor):
    """Replaces ``[[diagram: ...]]`` and ``[[try: ...]]`` lines with their rendered templates."""

    def __init__(
        self, md: markdown.Markdown, found: Markers, scenario_names: frozenset[str] | None
    ) -> None:
        super().__init__(md)
        self.found = found
        self.scenario_names = scenario_names

    def run(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            stripped = line.strip()
            if diagram := DIAGRAM_LINE_RE.match(stripped):
                block = self.diagram(diagram.group(1))
            elif attempt := TRY_LINE_RE.match(stripped):
                block = self.try_it(attempt.group(1), attempt.group(2))
            elif MARKER_RE.match(stripped):
                raise ContentError(f"malformed marker line: {stripped!r}")
            else:
                out.append(line)
                continue
            # The stash keeps the trusted markup away from Markdown's inline parser.
            out.extend(["", self.md.htmlStash.store(block), ""])
        return out

    def diagram(self, name: str) -> str:
        if not (DIAGRAMS_DIR / f"{name}.html").is_file():
            raise ContentError(f"diagram {name!r} has no template in {DIAGRAMS_DIR}")
        self.found.diagrams.append(name)
        return render_to_string(
            "lessons/_diagram.html", {"template": f"lessons/diagrams/{name}.html"}
        )

    def try_it(self, scenario: str, text: str) -> str:
        from playground.catalog import scenario_names, scenario_title

        names = self.scenario_names if self.scenario_names is not None else scenario_names()
        self.found.tries.append(scenario)
        available = scenario in names
        return render_to_string(
            "lessons/_try_inline.html",
            {
                "scenario": scenario,
                "title": scenario_title(scenario) if available else "",
                "text": text,
                "available": available,
            },
        )


class MarkerExtension(Extension):
    def __init__(
        self,
        found: Markers,
        scenario_names: frozenset[str] | None,
        linker: TermLinker | None = None,
    ) -> None:
        super().__init__()
        self.found = found
        self.scenario_names = scenario_names
        self.linker = linker

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(
            MarkerPreprocessor(md, self.found, self.scenario_names), "decoupled_markers", 27
        )
        if self.linker is not None:
            # Priority 4: after the inline patterns (20) have made <strong>, <code> and <a>.
            md.treeprocessors.register(
                TermTreeprocessor(md, self.linker, self.found), "decoupled_terms", 4
            )


def render_markdown(
    text: str,
    scenario_names: frozenset[str] | None = None,
    linker: TermLinker | None = None,
) -> tuple[str, tuple[TocEntry, ...], Markers]:
    """Render a step body: its HTML, its ``##`` table of contents and what its markers named."""
    found = Markers(diagrams=[], tries=[], terms=[])
    md = markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            "smarty",
            "toc",
            MarkerExtension(found, scenario_names, linker),
        ],
        extension_configs={"toc": {"toc_depth": "2-2", "permalink": False}},
        output_format="html",
    )
    body = md.convert(text)
    toc = tuple(TocEntry(anchor=t["id"], title=html.unescape(t["name"])) for t in md.toc_tokens)
    return body, toc, found


def reading_minutes(source: str, diagrams: int) -> int:
    """Minutes a learner needs for a body: its prose words plus a little per diagram."""
    prose = "\n".join(line for line in source.splitlines() if not MARKER_RE.match(line.strip()))
    words = len(re.findall(r"[A-Za-z0-9][\w'’.-]*", prose))
    return max(1, math.ceil(words / WORDS_PER_MINUTE + diagrams * DIAGRAM_MINUTES))


def _objectives(meta: dict, where: str) -> tuple[str, ...]:
    raw = meta.get("objectives")
    if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
        raise ContentError(f"{where}: objectives must list 2 to 4 things a learner can do after")
    items = tuple(" ".join(str(o).split()) for o in raw)
    for item in items:
        if not item or not item[0].isupper() or len(item) > 160 or item.endswith("."):
            raise ContentError(
                f"{where}: objective {item!r} should start with a capital letter, run under "
                "160 characters and end without a full stop"
            )
    return items


def load_step(
    path: Path,
    scenario_names: frozenset[str] | None = None,
    linker: TermLinker | None = None,
) -> Step:
    """Load and validate one step file."""
    where = path.name
    file_match = STEP_FILE_RE.match(path.name)
    if not file_match:
        raise ContentError(f"{where}: step files are named NN-slug.md")
    post = frontmatter.load(path)
    meta = post.metadata
    missing = [f for f in REQUIRED_FIELDS if not str(meta.get(f, "")).strip()]
    if missing:
        raise ContentError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(meta["number"], int) or meta["number"] != int(file_match.group(1)):
        raise ContentError(f"{where}: number must be an integer matching the file name")
    if meta["slug"] != file_match.group(2) or not SLUG_RE.match(meta["slug"]):
        raise ContentError(f"{where}: slug must be lowercase-hyphenated and match the file name")
    if not SLUG_RE.match(str(meta["scenario"])):
        raise ContentError(f"{where}: scenario {meta['scenario']!r} is not a well-formed name")
    if scenario_names is not None and meta["scenario"] not in scenario_names:
        raise ContentError(f"{where}: scenario {meta['scenario']!r} does not exist")
    if not post.content.strip():
        raise ContentError(f"{where}: the body is empty")
    if "reading_minutes" in meta:
        raise ContentError(f"{where}: reading_minutes is computed from the text; remove it")
    objectives = _objectives(meta, where)
    body_html, toc, found = render_markdown(post.content, scenario_names, linker)
    diagrams = tuple(found.diagrams)
    if not diagrams:
        raise ContentError(f"{where}: every step needs at least one [[diagram: name]] line")
    if not toc:
        raise ContentError(f"{where}: the body needs at least one '## ' section heading")
    return Step(
        number=meta["number"],
        slug=meta["slug"],
        title=str(meta["title"]).strip(),
        summary=str(meta["summary"]).strip(),
        scenario=meta["scenario"],
        try_it=str(meta["try_it"]).strip(),
        key_insight=str(meta["key_insight"]).strip(),
        reading_minutes=reading_minutes(post.content, len(diagrams)),
        body_html=body_html,
        toc=toc,
        diagrams=diagrams,
        tries=tuple(found.tries),
        terms=tuple(found.terms),
        objectives=objectives,
        source=post.content,
    )


def load_steps(directory: Path = STEPS_DIR, glossary: Path | None = None) -> tuple[Step, ...]:
    """Load every step, in order, and check the numbering runs 1..N without gaps."""
    from lessons.glossary import GLOSSARY_FILE, load_glossary
    from playground.catalog import scenario_names

    names = scenario_names()
    terms = load_glossary(glossary) if glossary is not None else load_glossary(GLOSSARY_FILE)
    linker = TermLinker(terms, href=GLOSSARY_HREF)
    steps = tuple(
        load_step(p, scenario_names=names or None, linker=linker)
        for p in sorted(directory.glob("*.md"))
    )
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise ContentError(f"steps must be numbered 1..N without gaps, found {numbers}")
    if linker.pending:
        raise ContentError(
            "glossary terms the lesson never uses (check their 'match' phrases): "
            + ", ".join(sorted(linker.pending))
        )
    return steps


@cache
def get_steps() -> tuple[Step, ...]:
    """All lesson steps, loaded once per process."""
    return load_steps()


def get_step(number: int) -> Step | None:
    steps = get_steps()
    if 1 <= number <= len(steps):
        return steps[number - 1]
    return None


def lesson_minutes() -> int:
    """The whole lesson's reading time: the sum of its steps' estimates."""
    return sum(step.reading_minutes for step in get_steps())
