"""Whole wake-ups of both apps on the host HAL: measure, send, backlog, downlinks, DO alarm."""

import simprobes
import soil_app
import water_app
from ds18b20 import crc8
from fixtures import load_vectors
from hal import ADC, DeepSleep, HostUART, Pin
from hostclock import VirtualClock
from runtime import wake_and_sleep
from simmodem import SimRAK3172, SimWioE5

KEYS = {
    "dev_eui": "70B3D57ED0000001",
    "join_eui": "0000000000000000",
    "app_key": "2B7E151628AED2A6ABF7158809CF4F3C",
}


def _scratch(temp_c):
    raw = int(temp_c * 16) & 0xFFFF
    body = bytes([raw & 0xFF, raw >> 8, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
    return body + bytes([crc8(body)])


def _soil(modem_sim=None, **overrides):
    clock = VirtualClock()
    sim = modem_sim or SimWioE5()
    probe = simprobes.soil_probe_family_a(31.2, 21.1, 860, 6.5, 37, 12, 88)
    hw = {
        "clock": clock,
        "modem_uart": HostUART(sim, clock),
        "rs485_uart": HostUART(probe, clock, 4800),
        "rs485_de": Pin(6, Pin.OUT),
        "sensor_power": Pin(7, Pin.OUT),
        "moisture_adc": ADC(values=(40000,)),
        "ds": simprobes.DS18X20Sim([_scratch(19.5)]),
        "battery_adc": ADC(values=(36000,)),
    }
    cfg = {"modem": "rak3172" if isinstance(sim, SimRAK3172) else "wio-e5", "soil_probe": "A"}
    cfg.update(KEYS)
    cfg.update(overrides)
    state = {}
    return soil_app.build(hw, cfg, state), sim, probe, hw


def _decode(frame):
    """Core soil/water fields of a frame, decoded the way PAYLOAD.md says."""
    status = frame[1]
    words = [(frame[2] << 8) | frame[3], (frame[4] << 8) | frame[5], (frame[6] << 8) | frame[7]]
    return status, words, frame[8]


def check_soil_node_sends_one_core_frame_plus_extensions_on_both_modems():
    for sim in (SimWioE5(), SimRAK3172()):
        node, sim, _, hw = _soil(sim)
        sleep_ms = node.wake()
        assert sleep_ms == 15 * 60000
        frames = [u[1] for u in sim.uplinks]
        assert all(u[0] == 1 for u in sim.uplinks)
        assert frames[0][0] == 0x10
        status, words, batt = _decode(frames[0])
        assert status == 0 and words == [312, 2110, 860]
        assert batt == int(36000 / 65535 * 6.6 * 50 + 0.5)
        assert all(len(f) <= 23 for f in frames)
        assert hw["sensor_power"].history == [0, 1, 0]


def check_soil_node_with_capacitive_probe_and_ds18b20():
    node, sim, _, _ = _soil(soil_probe=None, moisture_cal=[50000, 0.0, 30000, 100.0])
    node.wake()
    status, words, _ = _decode(sim.uplinks[0][1])
    assert status == 0x10  # EC not measured
    assert words[0] == 500 and words[1] == 1950


def check_dead_probe_goes_out_as_fault_codes_not_numbers():
    node, sim, probe, _ = _soil()
    probe.faults = ["silent"] * 3
    node.wake()
    status, words, _ = _decode(sim.uplinks[0][1])
    assert status == 0x2A  # VWC, temperature and EC faulted, battery valid
    assert words == [2, 2, 2]  # no_response


def check_node_keeps_readings_while_join_fails_and_flushes_backlog_later():
    sim = SimWioE5()
    sim.join_results = [False] * 6
    node, sim, _, hw = _soil(sim, join_attempts=2)
    sleeper = DeepSleep(hw["clock"])
    for _ in range(3):
        wake_and_sleep(node, sleeper, None, None)
    assert sim.uplinks == [] and len(node.backlog) == 3
    sim.join_results = []
    hw["clock"].advance(3600000)  # past any join back-off
    wake_and_sleep(node, sleeper, None, None)
    assert len(node.backlog) == 0
    heads = [u[1][0] for u in sim.uplinks if not u[1][0] & 0x01]
    assert heads == [0x10, 0x12, 0x12, 0x12]  # fresh reading first, then backlog frames
    ages = [(u[1][10] << 8) | u[1][11] for u in sim.uplinks if u[1][0] == 0x12]
    assert ages[0] > ages[1] > ages[2] >= 60  # oldest first, ages in minutes


def check_backlog_ring_drops_the_oldest_when_full():
    sim = SimWioE5()
    sim.join_results = [False] * 50
    node, _, _, hw = _soil(sim, backlog_capacity=4, join_attempts=1)
    for _ in range(6):
        node.wake()
        hw["clock"].advance(900000)
    assert len(node.backlog) == 4 and node.backlog.dropped == 2


def check_backlog_flush_stops_at_the_airtime_budget():
    sim = SimWioE5()
    sim.join_results = [False] * 200
    node, sim, _, hw = _soil(sim, join_attempts=1, backlog_capacity=48, with_npk=False)
    for _ in range(40):
        node.wake()
        hw["clock"].advance(60000)
    sim.join_results = []
    hw["clock"].advance(7200000)
    node.wake()
    assert 0 < len(node.backlog) < 41
    assert node.link.budget.used_ms(hw["clock"].now_ms()) <= 36000


def check_interval_downlink_changes_the_sleep():
    node, sim, _, _ = _soil()
    sim.downlinks.append((10, b"\x00\x1e"))
    assert node.wake() == 30 * 60000


def check_malformed_downlink_is_ignored():
    node, sim, _, _ = _soil()
    sim.downlinks.append((10, b"\x00"))
    assert node.wake() == 15 * 60000


def check_measure_now_downlink_sends_a_second_reading():
    node, sim, _, _ = _soil(with_npk=False)
    sim.downlinks.append((11, b""))
    node.wake()
    assert len(sim.uplinks) == 2


def check_calibration_downlink_sets_the_moisture_probe():
    node, sim, _, _ = _soil(soil_probe=None)
    node.wake()
    assert sim.uplinks[-1][1][1] & 0x03 == 0x02  # not calibrated yet: a fault
    # channel 1, dry 50000 -> 0 %, wet 30000 -> 100 %
    sim.downlinks.append((12, bytes([1, 0xC3, 0x50, 0, 0, 0x75, 0x30, 0x27, 0x10])))
    node.wake()
    node.wake()
    status, words, _ = _decode(sim.uplinks[-1][1])
    assert status & 0x03 == 0 and words[0] == 500
    assert node.state["cal"]["1"] == [50000, 0.0, 30000, 100.0]


def _water(do_values, modem_sim=None, **overrides):
    clock = VirtualClock()
    sim = modem_sim or SimWioE5()
    probe = simprobes.do_probe(80.0, do_values[0], 27.0)
    seq = list(do_values)

    hw = {
        "clock": clock,
        "modem_uart": HostUART(sim, clock),
        "rs485_uart": HostUART(probe, clock, 4800),
        "rs485_de": Pin(6, Pin.OUT),
        "sensor_power": Pin(7, Pin.OUT),
        "ph_adc": ADC(values=(int((1650 - 59.16 * 0.5) * 65535 / 3300),)),
        "ds": simprobes.DS18X20Sim([_scratch(25.0)]),
        "battery_adc": ADC(values=(36000,)),
    }
    cfg = {
        "modem": "wio-e5",
        "ph_mv_per_count": 3300 / 65535,
        "ph_offset_mv": 1650.0,
        "ph_cal": [7.0, 0.0, 4.0, 177.48, 25.0],
    }
    cfg.update(KEYS)
    cfg.update(overrides)
    node = water_app.build(hw, cfg, {})
    original = node.measure_do
    original_full = node.measure

    def step(fn):
        def read():
            if seq:
                simprobes.set_do(probe, 80.0, seq.pop(0), 27.0)
            return fn()

        return read

    # each read steps the simulated DO probe through ``do_values``
    node.measure_do = step(original)
    node.measure = step(original_full)
    return node, sim, hw


def _water_core(frame):
    status, words, _ = _decode(frame)
    return frame[0], status, words


def check_water_node_reports_do_temperature_and_ph():
    node, sim, _ = _water([6.85])
    node.wake()
    head, status, words = _water_core(sim.uplinks[0][1])
    assert head == 0x18 and status == 0
    assert words[0] == 685 and words[1] == 2500 and abs(words[2] - 750) <= 1


def check_fast_do_drop_is_re_measured_and_sent_at_once_confirmed():
    node, sim, hw = _water([6.0, 6.0, 4.4, 4.3])
    node.wake()  # report at 6.0
    assert node.state["last_do"] == 6.0
    hw["clock"].advance(5 * 60000)
    node.wake()  # DO-only check: 6.0, steady
    assert len(sim.uplinks) == 1
    hw["clock"].advance(5 * 60000)
    sleep_ms = node.wake()  # check reads 4.4 (-1.6 mg/L in 5 min): re-measure -> 4.3
    head, _, words = _water_core(sim.uplinks[-1][1])
    assert head == 0x1C and words[0] == 430  # event flag, the confirming reading
    assert sim.uplinks[-1][2] is True  # confirmed uplink
    assert sleep_ms == 5 * 60000


def check_unconfirmed_do_dip_does_not_send_an_event():
    node, sim, hw = _water([6.0, 2.5, 6.0])
    node.wake()
    hw["clock"].advance(5 * 60000)
    node.wake()  # 2.5 under the floor, but the re-measure reads 6.0
    assert len(sim.uplinks) == 1
    assert not node.state["alarm"]


def check_do_under_floor_is_sent_even_between_reports():
    node, sim, hw = _water([3.5, 2.8, 2.7])
    node.wake()
    hw["clock"].advance(5 * 60000)
    node.wake()
    head, _, words = _water_core(sim.uplinks[-1][1])
    assert head == 0x1C and words[0] == 270


def check_vectors_file_is_readable_by_the_node_codec():
    assert load_vectors()["version"] == 1


def check_downlink_parser_refuses_malformed_commands():
    import downlink

    assert downlink.parse(10, b"\x00\x00") is None  # 0 minutes
    assert downlink.parse(10, b"\x05\xa1") is None  # 1441 minutes
    assert downlink.parse(11, b"\x01") is None
    assert downlink.parse(12, bytes(8)) is None
    assert downlink.parse(12, bytes([3]) + bytes(8)) is None  # unknown channel
    assert downlink.parse(99, b"") is None
    assert downlink.parse(10, None) is None


def check_ph_calibration_downlink_recalibrates_the_water_node():
    node, sim, _ = _water([6.0, 6.0])
    # channel 2: 0.0 mV at pH 7.00 and 177.5 mV (x10 = 1775) at pH 4.00
    sim.downlinks.append((12, bytes([2, 0, 0, 0x02, 0xBC, 0x06, 0xEF, 0x01, 0x90])))
    node.wake()
    assert node.state["cal"]["2"] == [0.0, 7.0, 177.5, 4.0]


def check_ph_calibration_with_a_dead_electrode_is_refused():
    node, sim, _ = _water([6.0])
    # 0 mV at pH 7, 60 mV at pH 4: 20 mV/pH, a third of Nernst
    sim.downlinks.append((12, bytes([2, 0, 0, 0x02, 0xBC, 0x02, 0x58, 0x01, 0x90])))
    node.wake()
    assert "cal" not in node.state
