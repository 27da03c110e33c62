"""Fixtures shared by every test package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.shared import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def load_shared_json(shared_data: Path):
    def load(name: str):
        return json.loads((shared_data / name).read_text(encoding="utf-8"))

    return load


def pytest_configure(config) -> None:
    """Hash test passwords cheaply; PBKDF2 would dominate fixture set-up time."""
    try:
        from django.conf import settings

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    except Exception:  # noqa: S110 - Django is not configured for this run (firmware-only)
        pass
