"""The roster and the spread of answers as CSV files a spreadsheet opens.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read
by a spreadsheet as a formula (CSV injection, OWASP): a nickname such as ``=HYPERLINK(...)``
is written with a leading apostrophe, so it stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from classroom.selectors import QuestionSpread, Roster

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def roster_csv(roster: Roster) -> str:
    header = [
        "Nickname",
        f"Steps done (of {roster.step_total})",
        f"Predictions made (of {roster.prediction_total})",
        *(f"{title}: latest score" for title in roster.quiz_titles),
        "Confident misses",
        "Last active",
        "Joined",
    ]
    body = (
        [
            r.nickname,
            r.steps_done,
            r.predictions,
            *(q.text for q in r.quizzes),
            r.confident_misses,
            r.last_active,
            r.joined_at,
        ]
        for r in roster.rows
    )
    return _csv([header, *body])


def spread_csv(spreads: Iterable[QuestionSpread], *, site: str = "") -> str:
    """One row per answer of every question; ``site`` ("https://host") makes the links whole."""
    header = [
        "Question",
        "Where",
        "Answer",
        "Right answer",
        "Students",
        "Share (%)",
        "Students answering",
        "Wrong",
        "Confident misses",
        "Shows the truth",
    ]
    rows = [header]
    for s in spreads:
        for share in s.shares:
            rows.append(
                [
                    s.question.prompt,
                    s.source,
                    share.text,
                    "yes" if share.correct else "no",
                    share.count,
                    share.percent,
                    s.answered,
                    s.wrong,
                    s.confident_misses,
                    site + s.question.see_it_url,
                ]
            )
    return _csv(rows)
