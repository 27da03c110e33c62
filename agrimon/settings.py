"""Django settings, built from the typed environment config in ``agrimon.config``."""

from __future__ import annotations

import os
from datetime import timedelta

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from agrimon.config import BASE_DIR, load

CONFIG = load()
CONFIG.check()

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
# The public origin every printed QR code carries (traceability.resolver_domain).
RESOLVER_DOMAIN = CONFIG.resolver_domain
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "farm",
    "sensors",
    "vision",
    "traceability",
    "alerts",
    "phone",
    "regional",
    "aeration",
    "monitoring",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees a lockout flagged by any view or authentication class.
    "axes.middleware.AxesMiddleware",
]

# django-axes refuses to authenticate once a username has failed too often from one
# address: the login form and the API's basic auth both call ``authenticate()``, so
# both are throttled. A locked-out login form answers 429 with ``farm/lockout.html``;
# basic auth answers 401 (DRF reports the refused credentials). Axes sees the client
# address as ``REMOTE_ADDR``: behind a reverse proxy run uvicorn with
# ``--proxy-headers --forwarded-allow-ips=<proxy>`` so that is the real client.
AUTHENTICATION_BACKENDS = [
    "farm.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "farm.login_throttle.lockout_response"
AXES_VERBOSE = False

ROOT_URLCONF = "agrimon.urls"
WSGI_APPLICATION = "agrimon.wsgi.application"
ASGI_APPLICATION = "agrimon.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "farm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CONFIG.static_root
STATICFILES_DIRS = [BASE_DIR / "farm" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = CONFIG.media_root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "farm:dashboard"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agrimon API",
    "DESCRIPTION": "Farms, sites, devices, alerts and lots, scoped to what the caller may see.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [CONFIG.redis_url]},
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CONFIG.redis_url,
        "KEY_PREFIX": "agrimon",
    }
}

CELERY_BROKER_URL = CONFIG.celery_broker_url
CELERY_RESULT_BACKEND = CONFIG.redis_url
CELERY_TASK_ALWAYS_EAGER = CONFIG.celery_eager
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Time-based alert rules; threshold rules are evaluated on the stream, not here.
    "alerts-escalate": {"task": "alerts.escalate", "schedule": 30.0},
    "alerts-no-data": {"task": "alerts.check_no_data", "schedule": 60.0},
    "alerts-gateways": {"task": "alerts.check_gateways", "schedule": 60.0},
    "alerts-remind": {"task": "alerts.remind", "schedule": 60.0},
    "alerts-expire": {"task": "alerts.expire", "schedule": 60.0},
    "alerts-flush-deferred": {"task": "alerts.flush_deferred", "schedule": 60.0},
    "alerts-low-battery": {"task": "alerts.check_low_battery", "schedule": 900.0},
    "alerts-requeue-stalled": {"task": "alerts.requeue_stalled", "schedule": 300.0},
    # Aerators: unconfirmed commands expire; automatic mode acts on stale data and timers.
    "aeration-expire": {"task": "aeration.expire_commands", "schedule": 30.0},
    "aeration-automatic": {"task": "aeration.automatic", "schedule": 60.0},
    "sensors-rollup-hourly": {
        "task": "sensors.rollup_hourly",
        "schedule": crontab(minute=5),
    },
    "sensors-purge-dead-letters": {
        "task": "sensors.purge_dead_letters",
        "schedule": crontab(hour=3, minute=17),
    },
    # Last week's regional reports, mailed to subscribers, every Monday morning.
    "regional-weekly-reports": {
        "task": "regional.weekly_reports",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
    },
}
# Notification channels configured by the environment (agrimon.config.alert_transports).
ALERT_TRANSPORTS = CONFIG.alert_transports

# Days a dead letter (a message the bridge could not store) is kept.
DEAD_LETTER_RETENTION_DAYS = 30

# Regional map: a Tianditu (天地图) key adds its approved basemap; without one the map draws
# the offline county outlines only. The site URL is printed in reports beside each figure.
TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
REGIONAL_SITE_URL = os.environ.get("REGIONAL_SITE_URL", "http://127.0.0.1:8000")

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if CONFIG.production:
    # Browsers remember to use HTTPS only (HSTS) and send cookies only over it.
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Production runs behind a TLS-terminating reverse proxy (nginx, Caddy, a cloud load
    # balancer) that talks plain HTTP to uvicorn. The proxy must set (overwrite, never
    # pass through) ``X-Forwarded-Proto``; Django then knows the request came over HTTPS,
    # so secure cookies, CSRF origin checks and ``build_absolute_uri`` use https. Do not
    # expose uvicorn directly: a client could then send the header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Off by default: the proxy redirects, and the container health check speaks plain
    # HTTP to 127.0.0.1; ``SECURE_SSL_REDIRECT=1`` turns it on.
    SECURE_SSL_REDIRECT = CONFIG.ssl_redirect

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # axes logs every login at INFO; lockouts and failures (WARNING) are what matter
    "loggers": {"axes": {"level": "WARNING"}},
}

# Serve static files straight from the apps while developing; collected files in production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
