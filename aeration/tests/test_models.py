"""Relay controllers and aerators refuse addresses and wiring that cannot work."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aeration.models import Aerator, RelayController

from .conftest import make_aeration


def test_a_tts_controller_needs_its_device_id(pond):
    c = pond["controller"]
    c.network = RelayController.Network.TTS
    with pytest.raises(ValidationError):
        c.full_clean()
    c.network_device_id = "lt22222-pond1"
    c.full_clean()


def test_ids_that_would_change_a_topic_are_refused(pond):
    c = pond["controller"]
    c.application_id = "app/+/device"
    with pytest.raises(ValidationError):
        c.full_clean()


def test_an_aerator_cannot_use_another_farms_controller(pond):
    other = make_aeration("-b")
    a = Aerator(pond=pond["pond"], name="2号增氧机", controller=other["controller"], channel=2)
    with pytest.raises(ValidationError):
        a.full_clean()


def test_an_lt22222_has_two_relays(pond):
    a = pond["aerator"]
    a.channel = 3
    with pytest.raises(ValidationError):
        a.full_clean()
