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
        resolver_domain=env.get("RESOLVER_DOMAIN", "127.0.0.1:8000"),
        celery_eager=_bool(env.get("CELERY_EAGER"), default=False),
        environment=environment,
        hsts_seconds=int(env.get("HSTS_SECONDS") or HSTS_SECONDS),
        ssl_redirect=_bool(env.get("SECURE_SSL_REDIRECT"), default=False),
        live_recheck_s=float(env.get("LIVE_RECHECK_SECONDS") or 30.0),
    )
