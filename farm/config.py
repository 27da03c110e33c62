"""Typed settings read once from the environment.

Every process (web, bridge, workers, vision, simulator) reads its
configuration through ``load()``; nothing else looks at ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Never accepted in production: a key anyone can read in the repository.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"


class ImproperlyConfiguredEnv(RuntimeError):
    """The environment describes a configuration the app must refuse to run with."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


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

    def check(self) -> None:
        """Refuse unsafe production settings instead of silently running with them."""
        if not self.production:
            return
        problems = []
        if self.debug:
            problems.append("DEBUG is on")
        if not self.secret_key or self.secret_key == DEV_SECRET_KEY:
            problems.append("SECRET_KEY is unset or the development default")
        if not self.allowed_hosts:
            problems.append("ALLOWED_HOSTS is empty")
        if problems:
            raise ImproperlyConfiguredEnv(
                "refusing to start in production mode: " + "; ".join(problems)
            )


def load(env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    production = env.get("AGRIMON_ENV", "development").lower() == "production"
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
    )
