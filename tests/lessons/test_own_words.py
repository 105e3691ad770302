"""Every learner-facing text is in our own words: no run of 8 words copied from the source.

The source is the seed text the lesson was built from (``shared/seeds/`` beside the project, or
``SEED_PATH``). Where it is not on this machine the test is skipped, never silently passed.
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = 8
SEED_CANDIDATES = [
    Path(os.environ.get("SEED_PATH", "/nonexistent")),
    ROOT.parent / "shared" / "seeds" / "000_2ce66e3dddd5220a.txt",
    Path("/work/shared/seeds/000_2ce66e3dddd5220a.txt"),
]
CONTENT = [
    *sorted((ROOT / "lessons" / "content").rglob("*.md")),
    *sorted((ROOT / "lessons" / "content").rglob("*.yaml")),
    *sorted((ROOT / "templates" / "lessons").rglob("*.html")),
    *sorted((ROOT / "playground" / "engine").glob("*/*.toml")),
]


def _words(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"<[^>]+>", " ", text)  # markup is not prose
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


@pytest.fixture(scope="module")
def seed_runs() -> set[tuple[str, ...]]:
    seed = next((p for p in SEED_CANDIDATES if p.is_file()), None)
    if seed is None:
        pytest.skip("the seed text is not on this machine (set SEED_PATH to check own words)")
    return _runs(_words(seed.read_text()))


def test_the_check_finds_a_copied_run(seed_runs):
    copied = "Async processing lets systems work independently by sending messages and not waiting"
    assert _runs(_words(copied)) & seed_runs


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_learner_text_copies_eight_words_in_a_row_from_the_source(path, seed_runs):
    copied = _runs(_words(path.read_text())) & seed_runs
    assert not copied, f"{path.name} copies from the source: {[' '.join(c) for c in copied][:3]}"
