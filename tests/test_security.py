"""Security defaults a deployment relies on."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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
