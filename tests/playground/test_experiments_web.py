"""Experiments in the site: commit a prediction, run it live, see it beside the engine's answer."""

import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from playground.engine import experiments as X
from playground.models import ExperimentRun

EXP = "step6-dead-letters"


@pytest.fixture
def exp():
    return X.get_experiment(EXP)


@pytest.mark.django_db
def test_the_step_shows_the_experiment_but_not_its_answer_before_committing(client, exp):
    body = client.get("/steps/6/").content.decode()
    assert exp.question in body and exp.setup_text in body
    assert "Commit and run the experiment" in body
    assert "dead-lettered: delivery limit" not in body  # the explanation waits for the run
    assert "The simulation showed" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"), [("", "give an answer"), ("51", "from 0 to 50"), ("lots", "whole number")]
)
def test_a_bad_prediction_gets_a_clear_error_and_stores_nothing(client, value, message):
    data = {"prediction": value, "variation": "0", "next": "/steps/6/"}
    response = client.post(f"/experiments/{EXP}/predict/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExperimentRun.objects.exists()
    assert client.post(f"/experiments/{EXP}/predict/", data).status_code == 400


@pytest.mark.django_db
def test_tampered_or_unknown_experiment_posts_are_refused(client):
    bad_flag = {"prediction": "5", "variation": "2"}
    assert client.post(f"/experiments/{EXP}/predict/", bad_flag).status_code == 400
    assert client.post("/experiments/nope/predict/", {"prediction": "5"}).status_code == 404
    assert client.get("/experiments/nope/").status_code == 404
    assert not ExperimentRun.objects.exists()


@pytest.mark.django_db
def test_a_prediction_without_csrf_token_is_refused():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(f"/experiments/{EXP}/predict/", {"prediction": "5"})
    assert response.status_code == 403
    assert not ExperimentRun.objects.exists()


@pytest.mark.django_db
def test_with_htmx_committing_starts_a_live_run_in_place(client):
    data = {"prediction": "4", "variation": "0", "next": "/steps/6/"}
    fragment = client.post(
        f"/experiments/{EXP}/predict/", data, headers={"HX-Request": "true"}
    ).content.decode()
    run = ExperimentRun.objects.get()
    assert run.prediction == "4" and run.decided_at is None
    assert "<html" not in fragment and f'ws-connect="/ws/experiment/{run.pk}/"' in fragment
    assert "Your prediction: <strong>4</strong>" in fragment
    # The step's other experiment is swapped out of live mode, so ids never clash.
    assert 'id="experiment-step6-poison-deliveries"' in fragment
    assert fragment.count("ws-connect=") == 1
    body = client.get("/steps/6/").content.decode()
    assert f'ws-connect="/ws/experiment/{run.pk}/"' in body


@pytest.mark.django_db
def test_without_javascript_the_engine_runs_it_to_the_answer_at_once(client):
    data = {"prediction": "4", "variation": "0", "next": "/steps/6/"}
    response = client.post(f"/experiments/{EXP}/predict/", data)
    assert response.status_code == 302 and response["Location"] == f"/steps/6/#experiment-{EXP}"
    run = ExperimentRun.objects.get()
    assert run.result == "5" and run.correct is False
    body = client.get("/steps/6/").content.decode()
    assert "You predicted</dt><dd>4</dd>" in body and "5 messages dead-lettered" in body
    again = client.post(
        f"/experiments/{EXP}/predict/", {"again": "1", "variation": "1", "next": "/steps/6/"}
    )
    assert 'name="next" value="/steps/6/"' in again.content.decode()


@pytest.mark.django_db
def test_mid_experiment_only_the_clock_can_be_changed(client):
    client.post(f"/experiments/{EXP}/predict/", {"prediction": "5"}, headers={"HX-Request": "true"})
    from playground.experiment_runs import experiment_load
    from playground.live import ExperimentSession

    run = ExperimentRun.objects.get()
    session = ExperimentSession(*experiment_load(learner_id=run.learner_id, run_id=run.pk))
    before = session.sim.to_dict()
    reply = "".join(
        session.handle(json.dumps({"action": "kill_receiver", "receiver": "r1"})).fragments
    )
    assert "only pause, resume, step and speed" in reply
    assert session.sim.to_dict() == before
    assert session.handle(json.dumps({"action": "pause"})).fragments


@pytest.mark.django_db
def test_a_myth_reveal_links_to_its_experiment(client):
    exp = X.experiment_for_myth("order-is-automatic")
    assert exp is not None
    from lessons.quizzes import get_quizzes

    question = get_quizzes()["myths"].question("order-is-automatic")
    assert question.see_it_url == f"/experiments/{exp.id}/"
    assert client.get(question.see_it_url).status_code == 200


# ----- the live run over the WebSocket ------------------------------------------------------


async def _connect(client: Client, run_id: int):
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"cookie", cookie.encode()),
    ]
    comm = WebsocketCommunicator(application, f"/ws/experiment/{run_id}/", headers=headers)
    connected, _ = await comm.connect()
    return comm, connected


async def _predicted_run(client: Client, prediction: str, exp_id: str = EXP, *, htmx=False):
    """Commit a prediction as a learner does; return the run it made.

    With ``htmx`` the run stays live (undecided) for the socket; without it, the no-JavaScript
    path decides it at once.
    """
    await database_sync_to_async(client.post)(
        f"/experiments/{exp_id}/predict/",
        {"prediction": prediction, "variation": "0"},
        headers={"HX-Request": "true"} if htmx else {},
    )
    return await database_sync_to_async(ExperimentRun.objects.get)()


async def _until(comm, pattern: str, limit: float = 20.0) -> str:
    seen = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        if await comm.receive_nothing(timeout=0.2, interval=0.02):
            continue
        seen += await comm.receive_from()
        if re.search(pattern, seen, re.S):
            return seen
    raise AssertionError(f"never saw {pattern!r}")


@pytest.mark.django_db(transaction=True)
async def test_the_engine_decides_and_the_result_sits_beside_the_prediction():
    client = Client()
    run = await _predicted_run(client, "3")
    comm, connected = await _connect(client, run.pk)
    assert connected
    await comm.send_to(text_data=json.dumps({"action": "set_speed", "speed": "4"}))
    html = await _until(comm, r"The simulation showed</dt><dd>5 ")
    assert "You predicted</dt><dd>3</dd>" in html
    assert "delivery limit 3" in html and "Not what you predicted" in html
    await comm.disconnect()
    run = await database_sync_to_async(ExperimentRun.objects.get)()
    assert run.result == "5" and run.correct is False and run.decided_at is not None
    body = (await database_sync_to_async(client.get)("/progress/")).content.decode()
    assert "1 of" in body and "Experiments" in body


@pytest.mark.django_db(transaction=True)
async def test_another_learner_cannot_open_someone_elses_run():
    owner, other = Client(), Client()
    run = await _predicted_run(owner, "5")
    await database_sync_to_async(other.get)("/steps/1/")  # the other learner has a session too
    comm, connected = await _connect(other, run.pk)
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_second_tab_takes_an_experiment_run_over_where_the_first_left_it():
    client = Client()
    run = await _predicted_run(client, "3")
    first, connected = await _connect(client, run.pk)
    assert connected
    await first.send_to(text_data=json.dumps({"action": "pause"}))
    await _until(first, r"Paused")
    second, connected = await _connect(client, run.pk)
    assert connected
    assert "Paused" in await _until(second, r"Simulated time")  # the first tab's pause, saved
    assert await first.receive_output(timeout=5) == {"type": "websocket.close", "code": 4409}
    await second.disconnect()
    run = await database_sync_to_async(ExperimentRun.objects.get)()
    assert run.live_channel == "" and run.state["paused"] is True


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("frames", [[{"dt": "60"}], [{}] * 40])
async def test_stepping_never_runs_past_the_decision(frames):
    """Big steps or many small ones: the recorded result is the engine's answer at the
    moment the question is decided, exactly as a headless run gives it."""
    exp_id = "step4-queue-stores"
    client = Client()
    run = await _predicted_run(client, "5", exp_id, htmx=True)  # live, not yet decided
    assert run.decided_at is None
    comm, connected = await _connect(client, run.pk)
    assert connected
    await comm.send_to(text_data=json.dumps({"action": "pause"}))
    await _until(comm, r"Paused")
    for params in frames:
        await comm.send_to(text_data=json.dumps({"action": "step", **params}))
    await _until(comm, r"The simulation showed")
    await comm.send_to(text_data=json.dumps({"action": "step", "dt": "60"}))
    assert "stays as it ended" in await _until(comm, r"stays as it ended")
    await comm.disconnect()
    run = await database_sync_to_async(ExperimentRun.objects.get)()
    expected = X.run_headless(X.get_experiment(exp_id), run.seed)
    assert run.result == str(expected.value)
    assert run.state["now"] <= X.get_experiment(exp_id).max_time
