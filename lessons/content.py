"""Lesson content: Markdown files with front matter under ``lessons/content/steps/``.

Content is data under version control. This module loads it once, validates it, and
renders the Markdown with Python-Markdown. A line ``[[diagram: name]]`` in a step's body
places the accessible SVG diagram ``templates/lessons/diagrams/<name>.html`` there.
"""

from __future__ import annotations

import html
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
    source: str


class DiagramPreprocessor(Preprocessor):
    """Replaces ``[[diagram: name]]`` lines with the rendered diagram template."""

    def __init__(self, md: markdown.Markdown, found: list[str]) -> None:
        super().__init__(md)
        self.found = found

    def run(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            match = DIAGRAM_LINE_RE.match(line.strip())
            if not match:
                out.append(line)
                continue
            name = match.group(1)
            if not (DIAGRAMS_DIR / f"{name}.html").is_file():
                raise ContentError(f"diagram {name!r} has no template in {DIAGRAMS_DIR}")
            self.found.append(name)
            figure = render_to_string(
                "lessons/_diagram.html", {"template": f"lessons/diagrams/{name}.html"}
            )
            # The stash keeps the trusted diagram markup away from Markdown's inline parser.
            out.extend(["", self.md.htmlStash.store(figure), ""])
        return out


class DiagramExtension(Extension):
    def __init__(self, found: list[str]) -> None:
        super().__init__()
        self.found = found

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(DiagramPreprocessor(md, self.found), "decoupled_diagram", 27)


def render_markdown(text: str) -> tuple[str, tuple[TocEntry, ...], tuple[str, ...]]:
    """Render a step body; return its HTML, its ``##`` table of contents and diagram names."""
    diagrams: list[str] = []
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", "smarty", "toc", DiagramExtension(diagrams)],
        extension_configs={"toc": {"toc_depth": "2-2", "permalink": False}},
        output_format="html",
    )
    body = md.convert(text)
    toc = tuple(TocEntry(anchor=t["id"], title=html.unescape(t["name"])) for t in md.toc_tokens)
    return body, toc, tuple(diagrams)


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
    body_html, toc, diagrams = render_markdown(post.content)
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
        reading_minutes=int(meta.get("reading_minutes", 5)),
        body_html=body_html,
        toc=toc,
        diagrams=diagrams,
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
