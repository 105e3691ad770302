"""Security defaults a deployment relies on."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application
from config.text import text_clean
from config.websocket import websocket_origin_allowed
from lessons.models import Answer, QuizAttempt
from lessons.quizzes import get_quizzes
from playground.models import ExperimentRun
from playground.protocol import parse_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/steps/1/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp
    assert "'nonce-" in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert 'style="' not in body and "<style" not in body
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_htmx_is_served_from_our_own_static_files_with_eval_off(client):
    body = client.get("/").content.decode()
    assert re.search(r'<script src="/static/django_htmx/htmx-2[^"]*\.js"', body)
    assert '"allowEval": false' in body and '"includeIndicatorStyles": false' in body
    assert "https://" not in "".join(re.findall(r"<script[^>]*>", body))


def _run(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_mode_refuses_the_development_secret_key():
    result = _run({"DJANGO_DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.org",
    }
    result = _run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_a_wrong_method_gets_a_readable_405_page(client):
    response = client.get("/progress/step/")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert "That page does not take that kind of request" in response.content.decode()


# ----- database timeouts ---------------------------------------------------------------------


def _settings_value(env_extra, expression):
    """Evaluate ``expression`` against config.settings in a fresh process with this environment."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}, default=str))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_TESTING": "1", **env_extra})
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_gets_a_connect_timeout_and_a_statement_timeout():
    options = _settings_value(
        {"DATABASE_URL": "postgres://u@db.internal:5432/decoupled"},
        "settings.DATABASES['default']['OPTIONS']",
    )
    assert 0 < int(options["connect_timeout"]) <= 5
    assert re.search(r"-c statement_timeout=\d+", options["options"])


def test_timeouts_given_in_database_url_win_over_the_defaults():
    options = _settings_value(
        {
            "DATABASE_URL": "postgres://u@db.internal:5432/decoupled"
            "?connect_timeout=9&options=-c%20statement_timeout%3D0"
        },
        "settings.DATABASES['default']['OPTIONS']",
    )
    assert int(options["connect_timeout"]) == 9
    assert options["options"] == "-c statement_timeout=0"


def test_sqlite_keeps_its_busy_timeout():
    options = _settings_value({}, "settings.DATABASES['default']['OPTIONS']")
    assert options["timeout"] == 20
    assert "connect_timeout" not in options


@pytest.fixture
def black_hole_port():
    """A TCP port that accepts connections and never answers, like a hung database server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept_forever():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_database_gives_a_clear_error_page_in_seconds_not_minutes(black_hole_port):
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(raise_request_exception=False).get('/steps/1/', HTTP_HOST='localhost'); "
        "print(r.status_code, r.get('Retry-After')); print(r.content.decode())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_TESTING": "1",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{black_hole_port}/decoupled_hard",
        }
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    # The bound is the promise (a page within seconds), not a measurement: without timeouts
    # the request hangs for minutes and this subprocess is killed.
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    status_line, _, body = result.stdout.partition("\n")
    assert status_line.split() == ["503", "30"], result.stdout + result.stderr
    assert "database is not answering" in body
    assert "Your progress is kept" in body


def test_the_documented_production_command_sets_daphne_http_timeout():
    readme = (ROOT / "README.md").read_text()
    daphne = re.compile(r"\bdaphne\b.*config\.asgi")
    commands = [line for line in readme.splitlines() if daphne.search(line)]
    assert commands
    assert all(re.search(r"--http-timeout \d+", line) for line in commands), commands


# ----- headers -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_html_pages_deny_powerful_features_and_are_private_to_the_browser(client):
    for path in ("/", "/steps/1/", "/playground/sandbox/", "/no-such-page/"):
        response = client.get(path)
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (path, policy)
        cache = response["Cache-Control"]
        assert "private" in cache and "public" not in cache, (path, cache)


def test_static_files_stay_publicly_cacheable(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]


# ----- WebSocket Origin ----------------------------------------------------------------------


async def _socket_accepted(origin: str | None, host: str = "localhost:8000") -> bool:
    """Open a socket through the real ASGI stack; True if it got past the Origin check.

    The path has no consumer of its own, so an accepted socket is closed at once with 4404
    (no database needed); a refused one never gets that far.
    """
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    comm = WebsocketCommunicator(application, "/ws/no-such-socket/", headers=headers)
    connected, _ = await comm.connect()
    await comm.disconnect()
    return connected


async def test_a_socket_from_the_pages_own_origin_is_accepted():
    assert await _socket_accepted("http://localhost:8000")
    assert await _socket_accepted("http://localhost", host="localhost")


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:8001",  # another port on the same host: another site
        "https://localhost:8000",  # another scheme
        "http://localhost",  # the default port, 80, is not 8000
        "http://evil.example:8000",  # another host
        "null",  # sandboxed frames and file: pages
        "http://localhost:99999",  # malformed
    ],
)
async def test_a_socket_from_another_scheme_host_or_port_is_refused(origin):
    assert not await _socket_accepted(origin)


async def test_a_socket_without_an_origin_is_refused():
    assert not await _socket_accepted(None)


async def test_a_socket_to_a_host_that_is_not_allowed_is_refused():
    assert not await _socket_accepted("http://evil.example:8000", host="evil.example:8000")


def _scope(origin, host, **extra):
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    return {"type": "websocket", "headers": headers}


@override_settings(
    ALLOWED_HOSTS=["decoupled.example.org"],
    CSRF_TRUSTED_ORIGINS=["https://decoupled.example.org", "https://*.teach.example"],
    SESSION_COOKIE_SECURE=True,
)
def test_on_https_only_https_origins_and_trusted_origins_are_accepted():
    site = "decoupled.example.org"
    assert websocket_origin_allowed(_scope(f"https://{site}", site))
    assert not websocket_origin_allowed(
        _scope("http://decoupled.example.org", "decoupled.example.org")
    )
    # A proxy that passes another Host (an internal name): the trusted origin still works.
    assert websocket_origin_allowed(_scope("https://decoupled.example.org", "10.0.0.5:8001"))
    assert websocket_origin_allowed(_scope("https://class.teach.example", "10.0.0.5:8001"))
    assert not websocket_origin_allowed(_scope("https://teach.example.evil", "10.0.0.5:8001"))
    assert not websocket_origin_allowed(
        _scope("https://decoupled.example.org:8443", "10.0.0.5:8001")
    )
    assert not websocket_origin_allowed(_scope("http://class.teach.example", "10.0.0.5:8001"))


@override_settings(
    ALLOWED_HOSTS=["decoupled.example.org"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SESSION_COOKIE_SECURE=False,
)
def test_behind_a_proxy_the_forwarded_scheme_decides():
    host = "decoupled.example.org"
    secure = {"x-forwarded-proto": "https"}
    assert websocket_origin_allowed(_scope(f"https://{host}", host, **secure))
    assert not websocket_origin_allowed(_scope(f"http://{host}", host, **secure))
    assert websocket_origin_allowed(_scope(f"http://{host}", host))
    assert not websocket_origin_allowed(_scope(f"https://{host}", host))


# ----- bidi control characters in learner text -----------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_text_clean_removes_every_bidi_control_and_keeps_everything_else():
    assert text_clean(f"order{BIDI} #1001") == "order #1001"
    kept = "Bestellung Nr. 7, طلب رقم ٣, 注文 🙂, tab\tand\nnewline"
    assert text_clean(kept) == kept


def test_a_published_message_text_arrives_without_bidi_controls():
    # "invoice\u202egnp.exe" would display as "invoiceexe.png"
    frame = json.dumps({"action": "publish", "text": "invoice\u202egnp.exe\u2066!\u2069"})
    assert parse_frame(frame).params["text"] == "invoicegnp.exe!"


@pytest.mark.django_db
def test_a_typed_prediction_with_bidi_controls_counts_as_the_number_typed(client):
    data = {"prediction": "\u2067\u200f3\u2069", "variation": "0", "next": "/steps/6/"}
    response = client.post("/experiments/step6-dead-letters/predict/", data)
    assert response.status_code == 302
    assert ExperimentRun.objects.get().prediction == "3"


@pytest.mark.django_db
def test_a_quiz_answer_with_bidi_controls_is_the_choice_it_names(client):
    client.post("/quizzes/myths/start/")
    attempt = QuizAttempt.objects.get()
    slug, _, question_id = attempt.question_keys[0].partition("/")
    choice = get_quizzes()[slug].question(question_id).choices[0].id
    response = client.post("/quizzes/myths/1/1/", {"choice": f"\u202d{choice}\u202c"})
    assert response.status_code == 302
    assert Answer.objects.get().choice_id == choice
