"""Start-up check: a production site whose QR codes could not be printed says so at once.

Printing refuses such codes anyway (``traceability.resolver_domain``); this warning puts
the setting to change in ``manage.py check`` and the server log, before anyone tries.
"""

from __future__ import annotations

from django.core.checks import Warning, register

from traceability import resolver_domain


@register()
def resolver_domain_is_public(app_configs=None, **kwargs) -> list[Warning]:
    try:
        resolver_domain.check_printable()
    except resolver_domain.DomainRefused as refused:
        return [
            Warning(
                str(refused),
                hint="Set RESOLVER_DOMAIN to the public domain phones open for this site.",
                id="traceability.W001",
            )
        ]
    return []
