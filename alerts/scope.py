"""Which readings a rule watches: its scope (device, site, farm) and site match
(kind, species or crop, cultivation).

The engine matches every reading with it; the site pages and the aerator automation
ask the same question of a site ("which rules set this pond's limits?"), so the
answer is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.models import Rule
from farm.models import Site


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What a rule may match a site on, and its name for incident titles."""

    name: str
    kind: str
    text: str  # species or crop
    cultivation: str


def site_info(site: Site) -> SiteInfo:
    concrete = site.concrete()
    return SiteInfo(
        site.name,
        site.kind,
        getattr(concrete, "species", "") or getattr(concrete, "crop", ""),
        getattr(concrete, "cultivation", ""),
    )


def in_scope(
    rule: Rule, farm_id: int, site_id: int | None, dev_eui: str, site: SiteInfo | None
) -> bool:
    """Whether a reading of ``dev_eui`` at this farm and site falls in the rule's scope.

    ``dev_eui`` "" asks for a site's readings in general: device rules then never match.
    """
    if rule.device_eui and rule.device_eui != dev_eui:
        return False
    if rule.site_id and rule.site_id != site_id:
        return False
    if rule.farm_id and rule.farm_id != farm_id:
        return False
    if rule.match_kind or rule.match_text or rule.match_cultivation:
        if site is None or (rule.match_kind and site.kind != rule.match_kind):
            return False
        if rule.match_text and rule.match_text not in site.text:
            return False
        if rule.match_cultivation and site.cultivation != rule.match_cultivation:
            return False
    return True
