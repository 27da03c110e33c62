"""The public origin every printed QR code carries, and whether codes may be printed with it.

``RESOLVER_DOMAIN`` (environment, read once by ``agrimon.config``) names it: a host such as
``trace.example.cn`` (``https`` assumed) or an origin with its scheme, such as
``http://192.168.1.20:8000`` for a demo reached over the local network.

A label is printed once and scanned for months, so a code pointing at an address no
phone can reach is a lost print run. In production (``DEBUG`` off) printing is refused
while the domain is unset, ``localhost`` or an address that is not globally routable
(loopback, private, link-local, carrier-grade NAT, reserved); the refusal names the
setting to change. A development server may print such codes for testing.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

SETTING = "RESOLVER_DOMAIN"


class DomainRefused(Exception):
    """Codes would point at an address phones cannot reach; ``text`` says what to change."""

    def __init__(self, message: str, **params: str):
        self.message, self.params = message, params
        super().__init__(message % params)

    @property
    def text(self) -> str:
        return gettext(self.message) % self.params


def configured() -> str:
    return (getattr(settings, SETTING, "") or "").strip()


def origin(domain: str | None = None) -> str:
    """``scheme://host[:port]`` for ``domain`` (default: the configured one), no trailing slash."""
    domain = configured() if domain is None else domain.strip()
    if not domain:
        return ""
    text = domain if "://" in domain else f"https://{domain}"
    return text.rstrip("/")


def host(domain: str | None = None) -> str:
    """The host name or address alone, lower-cased (IPv6 without brackets)."""
    value = origin(domain)
    try:
        return (urlsplit(value).hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" in an IPv6 literal
        return ""


def _unreachable(name: str) -> bool:
    if name in ("localhost", "localhost.") or name.endswith((".localhost", ".localhost.")):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: whether it resolves publicly is the deployment's business
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global


_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}\Z)({_LABEL}\.)*{_LABEL}\.?\Z")


def _well_formed(value: str, name: str) -> bool:
    """An http(s) origin with a valid host name or address and port (IDNs as xn--)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.query or parts.fragment:
        return False
    if any(ch.isspace() or not ch.isascii() or not ch.isprintable() for ch in value):
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return bool(_HOST.match(name))


def check_printable(domain: str | None = None, *, debug: bool | None = None) -> str:
    """The origin to print, or ``DomainRefused`` when production would print a dead code."""
    debug = settings.DEBUG if debug is None else debug
    value = origin(domain)
    name = host(domain)
    if value and name and not _well_formed(value, name):
        raise DomainRefused(
            gettext_noop(
                "Codes cannot be printed: %(domain)s is not a valid domain. Set %(setting)s "
                "to the public domain of this site (for example trace.example.cn) and restart."
            ),
            domain=value,
            setting=SETTING,
        )
    if debug and name:
        return value
    if not value or not name:
        raise DomainRefused(
            gettext_noop(
                "Codes cannot be printed: the public domain is not set. Set %(setting)s to "
                "the domain phones will open (for example trace.example.cn) and restart."
            ),
            setting=SETTING,
        )
    if _unreachable(name):
        raise DomainRefused(
            gettext_noop(
                "Codes cannot be printed: they would point to %(domain)s, a local address "
                "that phones cannot reach. Set %(setting)s to the public domain of this "
                "site and restart."
            ),
            domain=value,
            setting=SETTING,
        )
    return value
