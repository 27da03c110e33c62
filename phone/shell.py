"""The app shell the service worker keeps for offline use, and its version."""

from __future__ import annotations

import functools
import hashlib

from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse

THEME_COLOUR = "#2e7d32"  # the header green of farm/static/farm/app.css
BACKGROUND_COLOUR = "#f4f7f2"
ICONS = [  # (file, sizes, purpose), drawn by ``python -m phone.draw_icons``
    ("icon-192.png", "192x192", "any"),
    ("icon-512.png", "512x512", "any"),
    ("maskable-512.png", "512x512", "maskable"),
]
SHELL_STATIC = [
    "farm/app.css",
    "alerts/alerts.css",
    "phone/phone.css",
    "phone/queue.js",
    "phone/register.js",
    "phone/home.js",
    "phone/icons/icon-192.png",
]


def precache_urls() -> list[str]:
    """Fetched and kept when the worker installs: enough to draw any cached page."""
    return [static(p) for p in SHELL_STATIC] + [reverse("phone:offline")]


@functools.cache
def version() -> str:
    """A digest of the shell's files and the worker's template: a new one replaces the cache."""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        found = finders.find(path)
        if found:
            with open(found, "rb") as f:
                digest.update(f.read())
    template = get_template("phone/sw.js")
    with open(template.origin.name, "rb") as f:
        digest.update(f.read())
    return digest.hexdigest()[:12]
