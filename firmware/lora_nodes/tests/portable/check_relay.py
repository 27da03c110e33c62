"""The relay role on the host HAL: frames as the vectors say, commands obeyed and answered."""

import relay
import relay_app
from fixtures import FIRMWARE_DIR, unhex
from hal import ADC, HostUART, Pin
from hostclock import VirtualClock
from simmodem import SimRAK3172, SimWioE5

KEYS = {
    "dev_eui": "70B3D57ED0000003",
    "join_eui": "0000000000000000",
    "app_key": "2B7E151628AED2A6ABF7158809CF4F3C",
}


def _vectors():
    import json

    with open(FIRMWARE_DIR + "/relay_vectors.json") as f:
        return json.load(f)


def _node(sim=None, state=None, **overrides):
    clock = VirtualClock()
    sim = sim or SimWioE5()
    hw = {
        "clock": clock,
        "modem_uart": HostUART(sim, clock),
        "relay1": Pin(10, Pin.OUT),
        "relay2": Pin(11, Pin.OUT),
        "current1": ADC(values=(26214,)),  # 40 % of 30 A
    }
    cfg = {"modem": "rak3172" if isinstance(sim, SimRAK3172) else "wio-e5"}
    cfg.update(KEYS)
    cfg.update({"current1_full_scale_a": 30.0})
    cfg.update(overrides)
    return relay_app.build(hw, cfg, {} if state is None else state), sim, hw


def check_relay_uplinks_match_the_vectors():
    for v in _vectors()["uplinks"]:
        assert relay.encode_status(v["states"], v["currents_a"], v["reply"]) == unhex(v["hex"])


def check_relay_commands_match_the_vectors():
    doc = _vectors()
    for v in doc["commands"]:
        assert relay.parse_command(relay.COMMAND_PORT, unhex(v["hex"])) == (v["mask"], v["states"])
    for v in doc["invalid_commands"]:
        assert relay.parse_command(v["port"], unhex(v["hex"])) is None


def check_relay_node_reports_state_and_current_every_interval():
    for sim in (SimWioE5(), SimRAK3172()):
        node, sim, hw = _node(sim)
        assert node.wake() == 2 * 60000
        port, frame = sim.uplinks[0][0], sim.uplinks[0][1]
        assert port == 3 and frame == unhex("1200 04B0 FFFF")  # 12.00 A on channel 1
        assert hw["relay1"].value() == 0 and hw["relay2"].value() == 0


def check_relay_command_is_applied_and_answered_at_once():
    node, sim, hw = _node()
    sim.downlinks.append((20, b"\x01\x01"))  # channel 1 on
    node.wake()
    assert hw["relay1"].value() == 1 and hw["relay2"].value() == 0
    assert [u[1][1] for u in sim.uplinks] == [0x00, 0x11]  # report, then reply with relay 1 on
    assert node.state["relays"] == [1, 0]


def check_malformed_relay_command_switches_nothing():
    node, sim, hw = _node()
    for bad in (b"\x00\x00", b"\x04\x04", b"\x01\x02", b"\x01"):
        sim.downlinks.append((20, bad))
        node.wake()
    assert hw["relay1"].history == [0, 0] and hw["relay2"].history == [0, 0]
    assert all(u[1][1] & relay.REPLY == 0 for u in sim.uplinks)


def check_relay_state_survives_a_restart():
    state = {}
    node, sim, hw = _node(state=state)
    sim.downlinks.append((20, b"\x03\x02"))  # channel 1 off, channel 2 on
    node.wake()
    again, _, hw2 = _node(state=state)
    assert hw2["relay1"].value() == 0 and hw2["relay2"].value() == 1


def check_a_server_that_keeps_queueing_gets_a_bounded_number_of_replies():
    node, sim, _ = _node()
    for _ in range(10):
        sim.downlinks.append((20, b"\x01\x01"))
    node.wake()
    assert len(sim.uplinks) == 1 + relay.MAX_REPLIES


def check_current_sensor_never_reports_below_zero():
    sensor = relay.CurrentSensor(ADC(values=(1000,)), 30.0, zero_counts=2000)
    assert sensor.read() == 0.0
