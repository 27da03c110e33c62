"""Band plans the node supports: data rates, payload limits, RX2 and airtime rules.

CN470: channels of the classic 96-channel plan (uplink 470.3 + 0.2 i MHz, RX2 505.3 MHz);
data rates and payload limits of LoRaWAN Regional Parameters RP002-1.0.3, where DR0 carries
no payload and DR1 (SF11) at most 23 bytes. RX2 uses **DR1**, as LoRaMac-node does; the
ChirpStack legacy CN470 plan defaults to DR0, so the network server must be set to DR1 too.
MIIT 2019 No. 52 caps a single transmission at 1 s and has no duty-cycle figure; we keep a
self-imposed 1 % hourly budget. EU868: 1 % duty cycle (g1 sub-band), RX2 869.525 MHz DR0.
"""

CN470 = {
    "name": "CN470",
    "regional_parameters": "RP002-1.0.3",
    "dr_sf": {1: 11, 2: 10, 3: 9, 4: 8, 5: 7},
    "max_frm": {1: 23, 2: 86, 3: 184, 4: 242, 5: 242},
    "min_dr": 1,
    "rx2_freq_hz": 505300000,
    "rx2_dr": 1,
    "max_single_tx_ms": 1000,
    "duty_cycle": 0.01,
}

EU868 = {
    "name": "EU868",
    "regional_parameters": "RP002-1.0.3",
    "dr_sf": {0: 12, 1: 11, 2: 10, 3: 9, 4: 8, 5: 7},
    "max_frm": {0: 51, 1: 51, 2: 51, 3: 115, 4: 242, 5: 242},
    "min_dr": 0,
    "rx2_freq_hz": 869525000,
    "rx2_dr": 0,
    "max_single_tx_ms": None,
    "duty_cycle": 0.01,
}

BANDS = {"CN470": CN470, "EU868": EU868}


def band(name):
    try:
        return BANDS[name]
    except KeyError:
        raise ValueError("unsupported band %r" % (name,))


def slowest(plan):
    """(dr, sf, max FRMPayload) of the slowest data rate the node may use."""
    dr = plan["min_dr"]
    return dr, plan["dr_sf"][dr], plan["max_frm"][dr]
