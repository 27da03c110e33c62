"""Glue shared by the two apps: config and state files, modem choice, one wake-up."""

import json

from atmodem import RAK3172, ModemError, WioE5
from backlog import Backlog
from bands import band
from lorawan import Link

STATE_PATH = "state.json"
BACKLOG_PATH = "backlog.json"
CONFIG_PATH = "config.json"  # provisioning: keys and overrides, written by mpremote


def load_json(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def save_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f)


def merged_config(defaults, path=CONFIG_PATH):
    cfg = dict(defaults)
    cfg.update(load_json(path, {}))
    for key in ("dev_eui", "join_eui", "app_key"):
        if not cfg.get(key):
            raise ValueError("missing %s in %s" % (key, path))
    return cfg


def make_modem(name, uart, clock):
    if name == "wio-e5":
        return WioE5(uart, clock)
    if name == "rak3172":
        return RAK3172(uart, clock)
    raise ValueError("unknown modem %r" % (name,))


def make_link(modem, clock, cfg, state):
    plan = band(cfg.get("band", "CN470"))
    modem_cfg = {
        "band": plan,
        "dev_eui": cfg["dev_eui"],
        "join_eui": cfg["join_eui"],
        "app_key": cfg["app_key"],
        "adr": cfg.get("adr", True),
    }
    if "rx2_dr" in cfg:
        modem_cfg["rx2_dr"] = cfg["rx2_dr"]
    try:
        if state.get("configured"):
            modem.wake()
        else:
            modem.configure(modem_cfg)
            state["configured"] = True
    except ModemError as exc:  # the Link's sends will fail and readings go to the backlog
        state["last_error"] = str(exc)
    return Link(
        modem,
        clock,
        plan,
        state,
        confirm_every=cfg.get("confirm_every", 12),
        lost_after=cfg.get("lost_after", 3),
        join_attempts=cfg.get("join_attempts", 3),
    )


def make_backlog(cfg, path=BACKLOG_PATH):
    backlog = Backlog(cfg.get("backlog_capacity", 48))
    if path:
        backlog.load(path)
    return backlog


def wake_and_sleep(node, deepsleep, state_path=STATE_PATH, backlog_path=BACKLOG_PATH):
    """One cycle, persist what must survive the sleep, then deep-sleep."""
    sleep_ms = node.wake()
    if state_path:
        save_json(state_path, node.state)
    if backlog_path:
        node.backlog.save(backlog_path)
    try:
        node.link.modem.sleep()
    except ModemError as exc:  # a modem that does not answer must not keep the node awake
        node.state["last_error"] = str(exc)
    deepsleep(sleep_ms)
    return sleep_ms
