"""Relay node: two relay outputs switching aerator contactors, current transducers per channel."""

from relay import CurrentSensor, RelayNode
from runtime import make_link, make_modem


def build(hw, cfg, state):
    """Wire the node from ``hw``. Keys: clock, modem_uart, relay1, relay2, current1, current2
    (ADCs, optional)."""
    clock = hw["clock"]
    link = make_link(make_modem(cfg["modem"], hw["modem_uart"], clock), clock, cfg, state)
    currents = []
    for i in (1, 2):
        adc = hw.get("current%d" % i)
        scale = cfg.get("current%d_full_scale_a" % i)
        currents.append(CurrentSensor(adc, scale) if adc is not None and scale else None)
    return RelayNode(link, clock, [hw["relay1"], hw["relay2"]], currents, state, cfg)
