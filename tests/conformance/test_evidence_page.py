"""What a learner sees of the evidence: the /evidence/ page and the one-line summary.

Both are generated from conformance/results.json, the file the conformance suite writes.
"""

from __future__ import annotations

import html

import pytest
from django.template import Context, Template

from conformance.evidence import evidence_load
from playground.engine import PROFILES


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_evidence_page_lists_every_behaviour_with_its_source_and_result(client):
    data = evidence_load()
    page = _text(client.get("/evidence/"))
    s = data["summary"]
    assert f"{s['agree']} of {s['compared']} behaviours agree" in page
    assert f"RabbitMQ {data['broker']['version']} on {data['recorded']}" in page
    labels = {"agrees": "Agrees", "disagrees": "Disagrees", "not modelled": "Not modelled yet"}
    for row in data["behaviours"]:
        start = page.index(f'id="b-{row["id"]}"')
        article = page[start : page.index("</article>", start)]
        assert row["title"] in article
        assert row["source"]["url"] in article and row["source"]["title"] in article
        assert labels.get(row["status"], "Not checked") in article
        for line in row["broker_saw"]:
            assert line in article
        if row["status"] == "disagrees":
            assert row["fix"] in article
            for line in row["engine_saw"]:
                assert line in article


def test_a_behaviour_that_was_not_checked_says_so_and_why(client):
    page = _text(client.get("/evidence/"))
    unchecked = [r for r in evidence_load()["behaviours"] if r["status"] == "not checked"]
    assert unchecked, "the results have rows for a newer RabbitMQ, which this broker cannot check"
    for row in unchecked:
        start = page.index(f'id="b-{row["id"]}"')
        article = page[start : page.index("</article>", start)]
        assert "Not checked" in article
        assert row["not_checked_reason"] in article


def test_every_disagreement_is_linked_from_the_summary(client):
    page = _text(client.get("/evidence/"))
    summary = page[page.index('id="summary-title"') : page.index("</section>")]
    for row in evidence_load()["behaviours"]:
        if row["status"] == "disagrees":
            assert f'href="#b-{row["id"]}"' in summary


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            "rabbitmq-quorum",
            PROFILES["rabbitmq-quorum"].label + ": checked against RabbitMQ {version}, {agree} of ",
        ),
        ("teaching", "Teaching default: not checked against a real broker."),
        ("sqs-standard", "Amazon SQS standard queue: not checked against a real broker."),
    ],
)
def test_the_checked_line_gives_a_profile_its_figures_or_says_it_was_not_checked(profile, expected):
    data = evidence_load()
    agree = sum(
        r["status"] == "agrees" for r in data["behaviours"] if r["engine_profile"] == profile
    )
    line = Template("{% load conformance %}{% checked_against key %}").render(
        Context({"key": profile})
    )
    text = " ".join(html.unescape(line).split())
    assert expected.format(version=data["broker"]["version"], agree=agree) in text
    assert 'href="/evidence/"' in line


@pytest.mark.django_db
def test_the_playground_says_how_its_profile_was_checked(client):
    page = _text(client.get("/playground/"))
    assert "Teaching default: not checked against a real broker." in " ".join(page.split())
    assert 'href="/evidence/"' in page
