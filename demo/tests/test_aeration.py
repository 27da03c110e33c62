"""Demo aerators are seeded idempotently, and the simulated controllers speak the real frames."""

from __future__ import annotations

import pytest

from aeration.models import Aerator
from demo.aeration import seed_aerators
from demo.farm import seed_demo
from demo.relays import SimulatedRelay
from sensors.codecs import decode
from sensors.codecs.dragino_lt import relay_command as lt_command
from sensors.codecs.native_relay import relay_command as native_command


@pytest.mark.django_db
def test_seeding_twice_gives_the_same_aerators():
    seed_demo()
    first = seed_aerators()
    assert first > 0 and seed_aerators() == first
    wang_pond = Aerator.objects.filter(pond__farm__name="大沙湖草鱼养殖场")
    assert wang_pond.exists()


@pytest.mark.parametrize(
    ("profile", "encode"), [("dragino-lt22222l", lt_command), ("native-relay", native_command)]
)
def test_a_simulated_controller_obeys_our_command_and_reports_it_in_the_real_frame(profile, encode):
    relay = SimulatedRelay("a840410000000001", "app", profile)
    f_port = 1 if profile == "dragino-lt22222l" else 20
    assert relay.obey(f_port, encode(2, True))
    port, frame = relay.frame(reply=True)
    values = {r.metric: r.value for r in decode(profile, port, frame).readings}
    assert values["relay1"] == 0.0 and values["relay2"] == 1.0
    assert not relay.obey(f_port, b"\x07")
