"""Settings for servers spawned by the tests: the project's, with the tests' hasher."""

from agrimon.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
