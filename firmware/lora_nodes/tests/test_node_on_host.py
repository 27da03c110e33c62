"""CPython-only checks of a whole node on the host: persistence across deep sleep, and the
server decoder reading what the node sent (the bridge's end-to-end test lives with the bridge)."""

from __future__ import annotations

import check_node
import pytest
import soil_app
from hal import DeepSleep
from runtime import load_json, wake_and_sleep
from simmodem import SimRAK3172, SimWioE5

from sensors.codecs.native import decode_soil, decode_water


@pytest.mark.parametrize("sim_cls", [SimWioE5, SimRAK3172])
def test_state_and_backlog_survive_deep_sleep_and_modem_is_not_reconfigured(
    tmp_path, sim_cls
) -> None:
    sim = sim_cls()
    sim.join_results = [False] * 3
    node, sim, _, hw = check_node._soil(sim, join_attempts=3)
    state_path, backlog_path = str(tmp_path / "state.json"), str(tmp_path / "backlog.json")
    wake_and_sleep(node, DeepSleep(hw["clock"]), state_path, backlog_path)
    assert load_json(backlog_path, {})["items"]  # kept in flash while the join failed

    # "reboot": a fresh node object from the files, same modem still joined-or-not
    sim.commands.clear()
    cfg = {"modem": node.config["modem"], "soil_probe": "A"}
    cfg.update(check_node.KEYS)
    again = soil_app.build(hw, cfg, load_json(state_path, {}), backlog_path)
    assert len(again.backlog) == 1
    assert again.state["join_fails"] == 3
    assert not any(c.startswith(("AT+MODE", "AT+BAND")) for c in sim.commands)


def _decoded(decoded) -> dict:
    return {r.metric: (r.value if r.fault is None else r.fault) for r in decoded.readings}


def test_server_decoder_reads_the_soil_node_frames_as_measured() -> None:
    node, sim, _, _ = check_node._soil(with_npk=True)
    node.wake()
    merged = {}
    for port, frame, _ in sim.uplinks:
        merged.update(_decoded(decode_soil(port, frame)))
    assert merged["soil_vwc"] == 31.2 and merged["soil_temp"] == 21.1
    assert merged["soil_ec"] == 860 and merged["soil_ph"] == 6.5
    assert (merged["soil_n"], merged["soil_p"], merged["soil_k"]) == (37, 12, 88)
    assert merged["battery_v"] == pytest.approx(36000 / 65535 * 6.6, abs=0.01)


def test_server_decoder_reads_a_dead_probe_as_faults() -> None:
    node, sim, probe, _ = check_node._soil(with_npk=False)
    probe.faults = ["silent"] * 3
    node.wake()
    got = _decoded(decode_soil(1, sim.uplinks[0][1]))
    assert got["soil_vwc"] == "no_response" and got["soil_ph"] == "no_response"


def test_server_decoder_reads_the_water_event_frame() -> None:
    node, sim, hw = check_node._water([3.5, 2.8, 2.7])
    node.wake()
    hw["clock"].advance(5 * 60000)
    node.wake()
    decoded = decode_water(1, sim.uplinks[-1][1])
    assert decoded.raw["event"] is True
    got = _decoded(decoded)
    assert got["do"] == 2.7 and got["water_temp"] == 25.0
    assert got["ph"] == pytest.approx(7.5, abs=0.02)
