"""Typed bridge configuration, read once from ``agrimon.config`` and the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agrimon.config import Config

CHIRPSTACK_TOPICS = (
    "application/+/device/+/event/up",
    "application/+/device/+/event/join",
    "application/+/device/+/event/status",
)
TTS_TOPICS = ("v3/+/devices/+/up", "v3/+/devices/+/join")


@dataclass(frozen=True)
class BridgeConfig:
    mqtt_host: str
    mqtt_port: int
    mqtt_username: str
    mqtt_password: str
    client_id: str
    influx_url: str
    influx_db: str
    influx_username: str
    influx_password: str
    influx_retention: str
    state_dir: Path
    share_group: str = ""
    topic_prefix: str = ""
    topics: tuple[str, ...] = CHIRPSTACK_TOPICS + TTS_TOPICS
    max_batch: int = 5000
    max_delay_s: float = 0.2
    idle_flush_s: float = 0.01
    device_refresh_s: float = 30.0
    status_flush_s: float = 10.0
    log_interval_s: float = 30.0
    dedup_window_s: float = 600.0
    # Shared de-duplication (Redis); empty: each bridge remembers only what it saw itself.
    dedup_redis_url: str = ""
    hook_retry_s: float = 2.0  # while the on_readings hook's database is unreachable
    # Event-time plausibility: a time further ahead of the receive time than this, or
    # older than ``max_past_age_s`` (0: the raw retention) or 2000, is replaced by the
    # receive time. Backlog readings keep their age: it is applied after the check.
    max_future_skew_s: float = 600.0
    past_age_s: float = 0.0
    max_message_bytes: int = 64 * 1024  # larger messages become dead letters unread
    new_gateways_per_uplink: int = 4  # gateway rows one uplink may create
    new_gateways_per_save: int = 20  # ... and all uplinks between two status saves
    metrics_port: int = 0  # 0: no HTTP endpoint
    # MQTT session (see sensors/bridge/share_group.py for the share-group behaviour)
    receive_maximum: int = 20_000  # in-flight window the broker may send us: a few batches
    session_expiry_s: int = 3 * 86400  # the broker keeps our session this long while away
    max_packet_bytes: int = 1_048_576  # the broker must not send us larger packets
    adopt_after_s: int = 5  # a group member gone this long is announced down (delayed will)
    adopt_grace_s: float = 3.0  # ... and adopted if still down this much later
    drain_timeout_s: float = 60.0  # leaving the group: longest wait for our queue to drain
    keeper: bool = True  # share group: hold the keeper that covers a broker restart
    on_readings: str = ""  # dotted path "package.module:function"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def spool_dir(self) -> Path:
        return self.state_dir / "spool" / self.client_id

    @property
    def status_path(self) -> Path:
        return self.state_dir / f"bridge-{self.client_id}.json"

    @property
    def max_past_age_s(self) -> float:
        """How old an event time may be: ``past_age_s``, else the raw retention."""
        if self.past_age_s > 0:
            return self.past_age_s
        return retention_seconds(self.influx_retention)

    @property
    def dedup_prefix(self) -> str:
        """Redis key prefix: bridges writing the same database share their dedup state."""
        return f"agrimon:dedup:{self.influx_db}:"

    def subscriptions(self) -> list[str]:
        """Topic filters, with the optional prefix and ``$share/<group>/`` applied."""
        out = []
        for topic in self.topics:
            full = self.topic_prefix + topic
            out.append(f"$share/{self.share_group}/{full}" if self.share_group else full)
        return out


_UNIT_S = {"h": 3600, "d": 86400, "w": 7 * 86400}


def retention_seconds(retention: str) -> float:
    """``"400d"`` → seconds; ``INF`` or anything unreadable → 400 days (the default)."""
    m = re.fullmatch(r"(\d+)([hdw])", retention or "")
    return float(int(m.group(1)) * _UNIT_S[m.group(2)]) if m else 400 * 86400.0


def bridge_config(config: Config, **options) -> BridgeConfig:
    """Build the bridge config from the process config plus command-line overrides.

    ``options`` with value None are ignored, so argparse defaults of None fall
    back to the environment.
    """
    url = urlsplit(options.pop("mqtt_url", None) or config.mqtt_url)
    if url.scheme not in ("mqtt", "tcp", ""):
        raise ValueError(f"MQTT URL scheme {url.scheme!r}: only mqtt:// is supported")
    client_id = options.pop("client_id", None) or "agrimon-bridge"
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", client_id):
        raise ValueError("client id: letters, digits, '.', '_' and '-' only")
    group = options.pop("share_group", None) or ""
    if group and not re.fullmatch(r"[A-Za-z0-9_.\-]+", group):
        raise ValueError("share group: letters, digits, '.', '_' and '-' only")
    base = {
        "mqtt_host": url.hostname or "127.0.0.1",
        "mqtt_port": url.port or 1883,
        "mqtt_username": url.username or "",
        "mqtt_password": url.password or "",
        "client_id": client_id,
        "share_group": group,
        "influx_url": options.pop("influx_url", None) or config.influx_url,
        "influx_db": options.pop("influx_db", None) or config.influx_db,
        "influx_username": config.influx_username,
        "influx_password": config.influx_password,
        "influx_retention": config.influx_retention,
        "state_dir": Path(options.pop("state_dir", None) or config.state_dir),
        "dedup_redis_url": config.redis_url,
        "extra": dict(config.extra),
    }
    base.update({k: v for k, v in options.items() if v is not None})
    return BridgeConfig(**base)
