"""Production refuses weak secrets, wildcard hosts and unknown environments, and turns
on HTTPS-only cookies and headers; development keeps working without any of it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agrimon.config import ImproperlyConfiguredEnv, load, secret_key_problem
from farm.tests.test_config import SAFE, STRONG_KEY


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "x" * 50,
        "ab" * 40,
        "0123456789" * 6,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "django-insecure-" + STRONG_KEY,
    ],
    ids=["one-char", "fifty-x", "two-char-pattern", "repeated-digits", "alphabet", "django"],
)
def test_production_refuses_a_short_or_low_entropy_secret_key(key):
    with pytest.raises(ImproperlyConfiguredEnv, match="SECRET_KEY"):
        load({**SAFE, "SECRET_KEY": key}).check()


@pytest.mark.parametrize(
    "key",
    [
        STRONG_KEY,
        "3f9a1c0e7b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a",  # hex, 256 bit
    ],
    ids=["token-urlsafe", "hex"],
)
def test_production_accepts_a_random_secret_key(key):
    assert secret_key_problem(key) == ""


@pytest.mark.parametrize("hosts", ["*", "farm.example.cn,*", "*.example.cn"])
def test_production_refuses_wildcard_allowed_hosts(hosts):
    with pytest.raises(ImproperlyConfiguredEnv, match="wildcard"):
        load({**SAFE, "ALLOWED_HOSTS": hosts}).check()


@pytest.mark.parametrize("env", ["prod", "staging", "Production1", "live"])
def test_an_unknown_agrimon_env_is_refused_instead_of_running_in_development(env):
    with pytest.raises(ImproperlyConfiguredEnv, match="AGRIMON_ENV"):
        load({"AGRIMON_ENV": env}).check()


@pytest.mark.parametrize("env", ["development", "test", "production", "PRODUCTION", ""])
def test_the_known_environments_are_accepted(env):
    cfg = load({**SAFE, "AGRIMON_ENV": env})
    cfg.check()
    assert cfg.production == (env.lower() == "production")


def _django_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the real settings module in a fresh interpreter with ``env``."""
    code = (
        "import json, django.conf as c, os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='agrimon.settings';"
        "s=c.settings;"
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SECURE_HSTS_SECONDS','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE',"
        "'SECURE_PROXY_SSL_HEADER','SECURE_CONTENT_TYPE_NOSNIFF','X_FRAME_OPTIONS',"
        "'DEBUG','SECURE_SSL_REDIRECT')}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_sets_hsts_secure_cookies_and_the_proxy_header(tmp_path):
    proc = _django_settings({**SAFE, "AGRIMON_STATE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert got["SESSION_COOKIE_SECURE"] is True and got["CSRF_COOKIE_SECURE"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["SECURE_CONTENT_TYPE_NOSNIFF"] is True and got["X_FRAME_OPTIONS"] == "DENY"
    assert got["DEBUG"] is False and got["SECURE_SSL_REDIRECT"] is False


def test_django_refuses_to_start_with_an_unknown_environment(tmp_path):
    proc = _django_settings({"AGRIMON_ENV": "prod", "AGRIMON_STATE_DIR": str(tmp_path)})
    assert proc.returncode != 0 and "AGRIMON_ENV='prod'" in proc.stderr


def test_django_refuses_to_start_in_production_with_a_weak_key(tmp_path):
    env = {**SAFE, "SECRET_KEY": "x", "AGRIMON_STATE_DIR": str(tmp_path)}
    proc = _django_settings(env)
    assert proc.returncode != 0 and "SECRET_KEY has 1 characters" in proc.stderr
