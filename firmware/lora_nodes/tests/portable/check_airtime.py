"""Airtime formula against its published examples, and the CN470 rules built on it."""

import payload
from airtime import payload_symbols, symbol_ms, time_on_air_ms, uplink_ms
from bands import CN470, EU868, slowest


def _cr(text):
    return int(text.split("/")[1]) - 4


def check_domain_airtime_matches_published_examples(domain):
    for v in domain["lora_airtime"]["published"]:
        sf, bw = v["sf"], v.get("bw_khz", 125)
        if "symbol_ms" in v:
            assert abs(symbol_ms(sf, bw) - v["symbol_ms"]) < 1e-9, v
        if "preamble_ms" in v:
            assert abs((v["preamble"] + 4.25) * symbol_ms(sf, bw) - v["preamble_ms"]) < 1e-9
        args = None
        if "payload_bytes" in v:
            args = (v["payload_bytes"], sf, bw, _cr(v["cr"]))
            kw = {"explicit_header": v["explicit_header"], "ldro": v["ldro"]}
        if args and "payload_symbols" in v:
            assert payload_symbols(*args, **kw) == v["payload_symbols"], v
        if args and "airtime_ms" in v:
            got = time_on_air_ms(*args, preamble=v["preamble"], **kw)
            assert abs(got - v["airtime_ms"]) < 0.001, v


def check_domain_airtime_matches_computed_examples(domain):
    for v in domain["lora_airtime"]["computed"]:
        got = time_on_air_ms(v["payload_bytes"], v["sf"], v["bw_khz"], ldro=v["ldro"])
        assert abs(got - v["airtime_ms"]) < 0.001, v["case"]
        assert payload_symbols(v["payload_bytes"], v["sf"], ldro=v["ldro"]) == v["payload_symbols"]


def check_domain_cn470_plan_follows_rp002_and_loramac_rx2(domain):
    ref = domain["cn470"]
    for dr, n in ref["max_frmpayload_N_rp002_1_0_3"].items():
        if int(dr) in CN470["max_frm"]:
            assert CN470["max_frm"][int(dr)] == n
    assert ref["max_frmpayload_N_rp002_1_0_3"]["0"] == 0 and 0 not in CN470["dr_sf"]
    assert CN470["rx2_dr"] == ref["loramac_node"]["rx2_dr"]
    assert CN470["rx2_freq_hz"] == ref["chirpstack_legacy_plan"]["rx2_frequency_hz"]
    assert CN470["max_single_tx_ms"] == ref["miit_2019_52_civil_metering"]["max_single_tx_s"] * 1000
    assert slowest(CN470) == (1, 11, 23)


def check_every_sf12_frame_breaks_the_one_second_rule():
    assert uplink_ms(0, 12) > 1000


def check_largest_dr1_frame_stays_under_one_second():
    assert uplink_ms(23, 11) < 1000


def check_core_frames_fit_cn470_dr1_under_one_second():
    for node, readings in (
        ("soil", {"soil_vwc": 20.0, "soil_temp": 20.0, "soil_ec": 900, "battery_v": 3.6}),
        ("water", {"do": 6.0, "water_temp": 25.0, "ph": 7.5, "battery_v": 3.6}),
    ):
        frame = payload.encode(node, readings)
        assert len(frame) <= CN470["max_frm"][1]
        assert uplink_ms(len(frame), 11) < 1000


def check_eu868_slowest_rate_is_sf12_with_51_bytes():
    assert slowest(EU868) == (0, 12, 51)
