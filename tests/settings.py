"""Settings for the test suite: the project's own, always on PostgreSQL.

Plain ``pytest`` in the virtualenv and ``scripts/test.sh`` run against the same database server:
with ``DATABASE_URL`` unset the suite uses the local PostgreSQL that ``scripts/services.sh``
starts, never the development SQLite file, whose behaviour differs (locking, JSON, constraints).
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/agrimon")
os.environ.setdefault("YOLO_OFFLINE", "1")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from agrimon.settings import *  # noqa: E402, F403
from agrimon.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "the tests run on PostgreSQL: unset DATABASE_URL or point it at a PostgreSQL server "
        "(scripts/test.sh starts one and runs the suite)"
    )

# PBKDF2 would dominate fixture set-up time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
