"""Fixtures for the farm tests: the demo data, inside each test's transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from demo.farm import DEMO_PASSWORD, seed_demo


@pytest.fixture
def demo(db):
    """The demo register; rolled back after the test like any other test data."""
    return seed_demo()


@pytest.fixture
def demo_user(demo):
    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture
def login(client, demo):
    def as_user(username: str | None):
        client.logout()
        if username:
            assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user
