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
home page's total) cannot drift from the text.
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
    source: str


@dataclass(slots=True)
class Markers:
    """What the marker lines of one body named, filled in while it renders."""

    diagrams: list[str]
    tries: list[str]


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
    def __init__(self, found: Markers, scenario_names: frozenset[str] | None) -> None:
        super().__init__()
        self.found = found
        self.scenario_names = scenario_names

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(
            MarkerPreprocessor(md, self.found, self.scenario_names), "decoupled_markers", 27
        )


def render_markdown(
    text: str, scenario_names: frozenset[str] | None = None
) -> tuple[str, tuple[TocEntry, ...], Markers]:
    """Render a step body: its HTML, its ``##`` table of contents and what its markers named."""
    found = Markers(diagrams=[], tries=[])
    md = markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            "smarty",
            "toc",
            MarkerExtension(found, scenario_names),
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


def load_step(path: Path, scenario_names: frozenset[str] | None = None) -> Step:
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
    body_html, toc, found = render_markdown(post.content, scenario_names)
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
        source=post.content,
    )


def load_steps(directory: Path = STEPS_DIR) -> tuple[Step, ...]:
    """Load every step, in order, and check the numbering runs 1..N without gaps."""
    from playground.catalog import scenario_names

    names = scenario_names()
    steps = tuple(
        load_step(p, scenario_names=names or None) for p in sorted(directory.glob("*.md"))
    )
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise ContentError(f"steps must be numbered 1..N without gaps, found {numbers}")
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
