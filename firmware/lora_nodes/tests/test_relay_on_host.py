"""The relay role against the server's own code: its decoder reads what the node sends, and
the node obeys the exact downlink the server's aeration control builds."""

from __future__ import annotations

import json
from pathlib import Path

import check_relay
import pytest

from sensors.codecs import DecodeError
from sensors.codecs.native_relay import decode_relay, relay_command

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "relay_vectors.json").read_text())


def _values(decoded) -> dict:
    return {r.metric: r.value for r in decoded.readings}


@pytest.mark.parametrize("v", VECTORS["uplinks"], ids=lambda v: v["hex"])
def test_server_decoder_reads_the_vector_uplinks(v) -> None:
    decoded = decode_relay(3, bytes.fromhex(v["hex"]))
    assert _values(decoded) == v["readings"] and decoded.raw["reply"] is v["reply"]


@pytest.mark.parametrize("v", VECTORS["invalid_uplinks"], ids=lambda v: v["why"])
def test_server_decoder_refuses_malformed_uplinks(v) -> None:
    with pytest.raises(DecodeError):
        decode_relay(v["fport"], bytes.fromhex(v["hex"]))


@pytest.mark.parametrize("v", VECTORS["commands"], ids=lambda v: v["hex"])
def test_server_command_encoder_matches_the_vectors(v) -> None:
    assert relay_command(v["channel"], v["on"]) == bytes.fromhex(v["hex"])


def test_node_obeys_the_servers_command_and_the_reply_confirms_it() -> None:
    node, sim, hw = check_relay._node()
    sim.downlinks.append((20, relay_command(2, True)))
    node.wake()
    reply = decode_relay(sim.uplinks[-1][0], sim.uplinks[-1][1])
    assert reply.raw["reply"] is True and _values(reply)["relay2"] == 1.0
    assert _values(reply)["current_a1"] == pytest.approx(12.0, abs=0.01)
    assert hw["relay2"].value() == 1
