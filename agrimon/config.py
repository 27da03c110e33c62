"""Typed settings read once from the environment.

Every process (web, bridge, workers, vision, simulator) reads its
configuration through ``load()``; nothing else looks at ``os.environ``.

``AGRIMON_ENV`` is one of ``development`` (the default), ``test`` or
``production``; any other value is refused rather than silently run as
development with DEBUG on. In production the secret key must be long and
random-looking, and ``ALLOWED_HOSTS`` must name hosts (no wildcard).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "test", "production")

# Never accepted in production: a key anyone can read in the repository.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
# Django's own deployment check (security.W009) asks for 50 characters; a key made by
# ``get_random_secret_key()`` or ``openssl rand -hex 32`` carries over 200 bits.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_BITS = 128
HSTS_SECONDS = 31_536_000  # one year, as browsers' preload lists expect


class ImproperlyConfiguredEnv(RuntimeError):
    """The environment describes a configuration the app must refuse to run with."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def secret_key_problem(key: str) -> str:
    """Why ``key`` is too weak to sign sessions in production, or an empty string.

    Length alone lets ``"x" * 50`` through, so the key must also look random: its
    Shannon entropy (bits per character from the character frequencies, times the
    length) reaches ``MIN_SECRET_KEY_BITS``, it does not repeat a short pattern, and
    it is not mostly a run of neighbouring characters ("abcdef…", "111…").
    """
    if not key or key == DEV_SECRET_KEY or key.startswith("django-insecure-"):
        return "SECRET_KEY is unset or the development default"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY has {len(key)} characters, needs at least {MIN_SECRET_KEY_LENGTH}"
    counts = Counter(key)
    bits = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values()) * len(key)
    periodic = any(
        all(key[i] == key[i + p] for i in range(len(key) - p)) for p in range(1, len(key) // 2)
    )
    steps = sum(abs(ord(a) - ord(b)) <= 1 for a, b in zip(key, key[1:], strict=False))
    if bits < MIN_SECRET_KEY_BITS or periodic or steps > len(key) // 2:
        return "SECRET_KEY has low entropy; generate one with secrets.token_urlsafe(50)"
    return ""


@dataclass(frozen=True)
class Config:
    production: bool
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    database_url: str
    redis_url: str
    celery_broker_url: str
    mqtt_url: str
    influx_url: str
    influx_db: str
    influx_username: str
    influx_password: str
    influx_retention: str
    media_root: Path
    static_root: Path
    state_dir: Path
    site_url: str
    resolver_domain: str
    celery_eager: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    environment: str = "development"
    hsts_seconds: int = HSTS_SECONDS
    ssl_redirect: bool = False
    # Longest time an open WebSocket streams on an access check (farm.consumers).
    live_recheck_s: float = 30.0
    # Notification channels whose settings are present: kind -> keyword arguments of its
    # typed config in ``alerts.transports`` (see ``alert_transports``).
    alert_transports: dict[str, dict] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse unsafe production settings instead of silently running with them."""
        if self.environment not in ENVIRONMENTS:
            raise ImproperlyConfiguredEnv(
                f"AGRIMON_ENV={self.environment!r} is not one of {', '.join(ENVIRONMENTS)}"
            )
        if not self.production:
            return
        problems = []
        if self.debug:
            problems.append("DEBUG is on")
        key_problem = secret_key_problem(self.secret_key)
        if key_problem:
            problems.append(key_problem)
        if not self.allowed_hosts:
            problems.append("ALLOWED_HOSTS is empty")
        if any("*" in host for host in self.allowed_hosts):
            problems.append("ALLOWED_HOSTS contains a wildcard '*'")
        if problems:
            raise ImproperlyConfiguredEnv(
                "refusing to start in production mode: " + "; ".join(problems)
            )


def load(env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    environment = (env.get("AGRIMON_ENV") or "development").strip().lower()
    production = environment == "production"
    state_dir = Path(env.get("AGRIMON_STATE_DIR", BASE_DIR / ".state"))
    debug = _bool(env.get("DEBUG"), default=not production)
    hosts = _list(env.get("ALLOWED_HOSTS"))
    if not production and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]", "testserver"]
    default_db = f"sqlite:///{state_dir / 'agrimon.sqlite3'}"
    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return Config(
        production=production,
        debug=debug,
        secret_key=env.get("SECRET_KEY", "" if production else DEV_SECRET_KEY),
        allowed_hosts=hosts,
        csrf_trusted_origins=_list(env.get("CSRF_TRUSTED_ORIGINS")),
        database_url=env.get("DATABASE_URL", default_db),
        redis_url=redis_url,
        celery_broker_url=env.get("CELERY_BROKER_URL", redis_url),
        mqtt_url=env.get("MQTT_URL", "mqtt://127.0.0.1:1883"),
        influx_url=env.get("INFLUX_URL", "http://127.0.0.1:8086"),
        influx_db=env.get("INFLUX_DB", "agrimon"),
        influx_username=env.get("INFLUX_USERNAME", ""),
        influx_password=env.get("INFLUX_PASSWORD", ""),
        influx_retention=env.get("INFLUX_RETENTION", "400d"),
        media_root=Path(env.get("MEDIA_ROOT", state_dir / "media")),
        static_root=Path(env.get("STATIC_ROOT", state_dir / "static")),
        state_dir=state_dir,
        site_url=env.get("SITE_URL", "http://127.0.0.1:8000"),
        # Printed in every QR label: production has no default, so labels are refused
        # until it names the public domain (traceability.resolver_domain).
        resolver_domain=env.get("RESOLVER_DOMAIN", "" if production else "http://127.0.0.1:8000"),
        celery_eager=_bool(env.get("CELERY_EAGER"), default=False),
        environment=environment,
        hsts_seconds=int(env.get("HSTS_SECONDS") or HSTS_SECONDS),
        ssl_redirect=_bool(env.get("SECURE_SSL_REDIRECT"), default=False),
        live_recheck_s=float(env.get("LIVE_RECHECK_SECONDS") or 30.0),
        alert_transports=alert_transports(env, state_dir),
    )


def _templates(value: str | None) -> dict[str, str]:
    """``"firing=SMS_1,escalation=SMS_2"`` -> ``{"firing": "SMS_1", "escalation": "SMS_2"}``."""
    pairs = (item.split("=", 1) for item in _list(value) if "=" in item)
    return {name.strip(): code.strip() for name, code in pairs if name.strip() and code.strip()}


def alert_transports(env: dict[str, str], state_dir: Path) -> dict[str, dict]:
    """The notification channels the environment configures, and only those.

    A channel appears only when every setting it needs is present (credentials, SMS sign
    and template codes, voice templates, SMTP host and sender, WeCom or WeChat app keys),
    so nothing offers or tries a channel that cannot work. In-app and the WeCom group
    robot (whose webhook belongs to each policy) need nothing. Web push signs with a VAPID
    key that is generated on first use and kept in the state directory unless
    ``WEBPUSH_VAPID_PRIVATE_KEY`` gives one; ``WEBPUSH_ENABLED=0`` turns it off.
    """
    out: dict[str, dict] = {"inapp": {}, "wecom": {}}
    aliyun = (env.get("ALIYUN_ACCESS_KEY_ID", ""), env.get("ALIYUN_ACCESS_KEY_SECRET", ""))
    tencent = (env.get("TENCENT_SECRET_ID", ""), env.get("TENCENT_SECRET_KEY", ""))
    sms = _templates(env.get("ALIYUN_SMS_TEMPLATES"))
    if all(aliyun) and env.get("ALIYUN_SMS_SIGN_NAME") and sms:
        out["aliyun_sms"] = {
            "access_key_id": aliyun[0],
            "access_key_secret": aliyun[1],
            "sign_name": env["ALIYUN_SMS_SIGN_NAME"],
            "templates": sms,
        }
    voice = _templates(env.get("ALIYUN_VOICE_TEMPLATES"))
    if all(aliyun) and voice:
        out["aliyun_voice"] = {
            "access_key_id": aliyun[0],
            "access_key_secret": aliyun[1],
            "templates": voice,
            "called_show_number": env.get("ALIYUN_VOICE_SHOW_NUMBER", ""),
        }
    sms = _templates(env.get("TENCENT_SMS_TEMPLATES"))
    if all(tencent) and env.get("TENCENT_SMS_SDK_APP_ID") and env.get("TENCENT_SMS_SIGN_NAME"):
        if sms:
            out["tencent_sms"] = {
                "secret_id": tencent[0],
                "secret_key": tencent[1],
                "sdk_app_id": env["TENCENT_SMS_SDK_APP_ID"],
                "sign_name": env["TENCENT_SMS_SIGN_NAME"],
                "templates": sms,
            }
    voice = _templates(env.get("TENCENT_VOICE_TEMPLATES"))
    if all(tencent) and env.get("TENCENT_VOICE_SDK_APP_ID") and voice:
        out["tencent_voice"] = {
            "secret_id": tencent[0],
            "secret_key": tencent[1],
            "voice_sdk_app_id": env["TENCENT_VOICE_SDK_APP_ID"],
            "templates": voice,
        }
    if env.get("SMTP_HOST") and env.get("SMTP_FROM"):
        out["email"] = {
            "host": env["SMTP_HOST"],
            "from_address": env["SMTP_FROM"],
            "port": int(env.get("SMTP_PORT") or 587),
            "username": env.get("SMTP_USERNAME", ""),
            "password": env.get("SMTP_PASSWORD", ""),
            "starttls": _bool(env.get("SMTP_STARTTLS"), default=True),
            "implicit_tls": _bool(env.get("SMTP_IMPLICIT_TLS"), default=False),
        }
    if env.get("WECOM_CORP_ID") and env.get("WECOM_AGENT_ID") and env.get("WECOM_APP_SECRET"):
        out["wecom_app"] = {
            "corp_id": env["WECOM_CORP_ID"],
            "agent_id": env["WECOM_AGENT_ID"],
            "secret": env["WECOM_APP_SECRET"],
        }
    if env.get("WECHAT_APP_ID") and env.get("WECHAT_APP_SECRET") and env.get("WECHAT_TEMPLATE_ID"):
        out["wechat"] = {
            "app_id": env["WECHAT_APP_ID"],
            "app_secret": env["WECHAT_APP_SECRET"],
            "template_id": env["WECHAT_TEMPLATE_ID"],
        }
        fields = _templates(env.get("WECHAT_TEMPLATE_FIELDS"))
        if fields:
            out["wechat"]["fields"] = fields
    if _bool(env.get("WEBPUSH_ENABLED"), default=True):
        out["webpush"] = {
            "vapid_private_key": env.get("WEBPUSH_VAPID_PRIVATE_KEY", ""),
            "vapid_key_file": str(state_dir / "vapid_private_key.txt"),
            "vapid_subject": env.get("WEBPUSH_VAPID_SUBJECT", "mailto:alerts@localhost"),
        }
    return out
