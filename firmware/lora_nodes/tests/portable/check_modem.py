"""Both modem drivers against simulated modems answering per their AT manuals."""

from atmodem import RAK3172, DutyCycleLimited, ModemBusy, ModemTimeout, NotJoined, WioE5
from bands import CN470, EU868
from fixtures import raises
from hal import HostUART
from hostclock import VirtualClock
from lorawan import Link
from simmodem import SimRAK3172, SimWioE5

KEYS = {
    "dev_eui": "70B3D57ED0000001",
    "join_eui": "0000000000000000",
    "app_key": "2B7E151628AED2A6ABF7158809CF4F3C",
}
PAIRS = ((WioE5, SimWioE5), (RAK3172, SimRAK3172))


def _modem(driver, sim_cls):
    clock = VirtualClock()
    sim = sim_cls()
    return driver(HostUART(sim, clock), clock), sim, clock


def _cfg(plan=CN470):
    cfg = dict(KEYS)
    cfg["band"] = plan
    return cfg


def check_wio_e5_configuration_uses_its_documented_commands():
    m, sim, _ = _modem(WioE5, SimWioE5)
    m.configure(_cfg())
    assert sim.commands == [
        "AT",
        "AT+MODE=LWOTAA",
        'AT+ID=DevEui,"70B3D57ED0000001"',
        'AT+ID=AppEui,"0000000000000000"',
        'AT+KEY=APPKEY,"2B7E151628AED2A6ABF7158809CF4F3C"',
        "AT+DR=CN470",
        "AT+CLASS=A",
        "AT+ADR=ON",
        "AT+DR=DR1",
        "AT+RXWIN2=505.3,DR1",
    ]


def check_rak3172_configuration_uses_rui3_commands():
    m, sim, _ = _modem(RAK3172, SimRAK3172)
    m.configure(_cfg(EU868))
    assert "AT+BAND=4" in sim.commands and "AT+NJM=1" in sim.commands
    assert "AT+RX2DR=0" in sim.commands and "AT+DR=0" in sim.commands


def check_wio_e5_error_reply_raises():
    m, _, _ = _modem(WioE5, SimWioE5)
    cfg = _cfg()
    cfg["app_key"] = "00"
    try:
        m.configure(cfg)
    except Exception as exc:  # ModemError with the modem's own words
        assert "ERROR(-1)" in str(exc)
    else:
        raise AssertionError("bad key accepted")


def check_rak3172_param_error_raises():
    m, _, _ = _modem(RAK3172, SimRAK3172)
    cfg = _cfg()
    cfg["dev_eui"] = "01"
    assert raises(Exception, m.configure, cfg)


def check_join_success_and_failure_on_both_modems():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        sim.join_results = [False]
        assert m.join() is False
        assert m.join() is True


def check_busy_modem_raises_busy_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        sim.busy = 1
        assert raises(ModemBusy, m.join)


def check_uplink_before_join_raises_not_joined_on_both():
    for driver, sim_cls in PAIRS:
        m, _, _ = _modem(driver, sim_cls)
        assert raises(NotJoined, m.send, 1, b"\x01")


def check_duty_cycle_refusal_raises_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        m.join()
        sim.duty_limited = 1
        assert raises(DutyCycleLimited, m.send, 1, b"\x01")


def check_wio_e5_duty_cycle_refusal_carries_the_wait():
    m, sim, _ = _modem(WioE5, SimWioE5)
    m.join()
    sim.duty_limited = 1
    try:
        m.send(1, b"\x01")
    except DutyCycleLimited as exc:
        assert exc.wait_ms == 13469


def check_confirmed_uplink_reports_ack_and_no_ack_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        m.join()
        assert m.send(1, b"\x10\x00", confirmed=True).acked is True
        sim.ack = False
        assert m.send(1, b"\x10\x00", confirmed=True).acked is False
        assert m.send(1, b"\x10\x00").acked is None
        assert sim.uplinks[-1] == (1, b"\x10\x00", False)


def check_downlink_and_link_check_are_parsed_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        m.join()
        sim.downlinks.append((10, b"\x00\x1e"))
        r = m.send(1, b"\x01", confirmed=True, link_check=True)
        assert (r.port, r.data) == (10, b"\x00\x1e")
        assert (r.margin, r.gateways) == (20, 1)
        assert r.rssi == -92


def check_garbage_lines_are_ignored_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        sim.garbage = True
        m.configure(_cfg())
        assert m.join() is True
        sim.downlinks.append((11, b""))
        r = m.send(1, b"\x01\x02")
        assert sim.uplinks == [(1, b"\x01\x02", False)]
        assert r.port == 11


def check_silent_modem_times_out_on_both():
    for driver, sim_cls in PAIRS:
        m, sim, _ = _modem(driver, sim_cls)
        sim.silent = True
        assert raises(ModemTimeout, m.join)


def _link(driver=WioE5, sim_cls=SimWioE5, **kw):
    m, sim, clock = _modem(driver, sim_cls)
    state = {}
    return Link(m, clock, CN470, state, **kw), sim, clock, state


def check_link_retries_join_with_growing_back_off():
    link, sim, clock, state = _link(join_attempts=3, backoff_ms=15000)
    sim.join_results = [False, False, False]
    t0 = clock.now_ms()
    assert link.ensure_joined() is False
    assert sim.joins == 3
    assert state["join_fails"] == 3
    # 15 s then 30 s between tries, and 60 s before the next wake may try again
    assert clock.now_ms() - t0 >= 45000
    assert state["next_join_ms"] >= clock.now_ms() + 60000
    assert link.ensure_joined() is False and sim.joins == 3  # still backing off
    clock.advance(60000)
    assert link.ensure_joined() is True
    assert state["join_fails"] == 0


def check_link_confirms_every_nth_uplink_with_a_link_check():
    for driver, sim_cls in PAIRS:
        link, sim, _, _ = _link(driver, sim_cls, confirm_every=3)
        for _ in range(6):
            assert link.send(b"\x10\x00\x01") is not None
        assert [u[2] for u in sim.uplinks] == [False, False, True, False, False, True]


def check_link_rejoins_after_unanswered_link_checks():
    link, sim, _, state = _link(confirm_every=1, lost_after=2)
    sim.ack = False
    link.send(b"\x01")
    assert state["joined"] is True
    link.send(b"\x01")
    assert state["joined"] is False
    sim.ack = True
    sim.joined = False
    assert link.send(b"\x01").acked is True
    assert sim.joins == 2


def check_link_retries_once_when_the_modem_is_busy():
    link, sim, _, _ = _link()
    link.ensure_joined()
    sim.busy = 1
    assert link.send(b"\x01") is not None
    sim.busy = 2
    assert link.send(b"\x01") is None


def check_link_refuses_frames_over_the_data_rate_limit():
    link, _, _, _ = _link()
    assert raises(ValueError, link.send, bytes(24))


def check_link_stops_at_the_airtime_budget():
    link, sim, clock, _ = _link()
    # 1 % of an hour = 36 s; an 11-byte frame at SF11 is 823 ms: 43 fit, minus the join
    sent = 0
    while link.send(bytes(11)) is not None:
        sent += 1
    assert sent == 42
    assert link.budget.used_ms(clock.now_ms()) <= 36000
    clock.advance(3600000)
    assert link.send(bytes(11)) is not None


def check_link_marks_session_lost_when_modem_says_not_joined():
    link, sim, _, state = _link()
    link.ensure_joined()
    sim.joined = False
    assert link.send(b"\x01") is None
    assert state["joined"] is False
