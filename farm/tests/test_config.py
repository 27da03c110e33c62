"""Settings come from the environment and refuse unsafe production set-ups."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agrimon.config import DEV_SECRET_KEY, ImproperlyConfiguredEnv, load

# A key as ``secrets.token_urlsafe(50)`` makes one (fixed here so the test is stable).
STRONG_KEY = "q7Vd2LmX9pR4tWzK1cN8bHs0yFj3uGe6aQo5iTr-Ml_ZkYvBnC2wEx7PhDg4JfUs"

SAFE = {
    "AGRIMON_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "farm.example.cn",
    "DEBUG": "0",
}


def test_development_defaults_work_without_any_environment():
    cfg = load({})
    cfg.check()
    assert cfg.debug and cfg.secret_key == DEV_SECRET_KEY and "localhost" in cfg.allowed_hosts


def test_production_with_safe_settings_starts():
    load(SAFE).check()


@pytest.mark.parametrize(
    "override, reason",
    [
        ({"DEBUG": "1"}, "DEBUG is on"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_unsafe_settings(override, reason):
    with pytest.raises(ImproperlyConfiguredEnv, match=reason):
        load({**SAFE, **override}).check()


def test_django_refuses_to_start_in_production_with_debug_on():
    env = {
        "AGRIMON_ENV": "production",
        "DEBUG": "1",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "a.example",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "refusing to start in production mode" in proc.stderr
