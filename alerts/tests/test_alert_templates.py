"""Rule templates from domain.md §5, seeded by a management command."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from alerts.models import Rule
from alerts.rule_templates import GROUPS, TEMPLATES
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World

world = alert_fixtures.world


def test_every_template_names_its_source_or_marks_it_config():
    for t in TEMPLATES:
        assert (
            "[P]" in t.description
            or "[S]" in t.description
            or "[V]" in t.description
            or ("[config]" in t.description)
        ), t.key


def test_the_four_site_templates_are_covered():
    groups = {t.group for t in TEMPLATES}
    assert set(GROUPS) == groups


def test_seed_command_is_idempotent_and_adopts_into_an_organisation(world: World):
    out = StringIO()
    call_command("seed_alert_templates", "--adopt", world.org.name, stdout=out)
    call_command("seed_alert_templates", "--adopt", world.org.name, stdout=out)
    assert Rule.objects.filter(is_template=True).count() == len(TEMPLATES)
    adopted = Rule.objects.filter(organisation=world.org, is_template=False)
    assert adopted.count() == len(TEMPLATES)
    floor = adopted.get(template_key="gc.do.floor")
    assert (floor.threshold, floor.clear_threshold, floor.severity) == (3.0, 3.5, "critical")
    assert "GB 11607-89" in floor.description
