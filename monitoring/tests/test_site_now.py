"""Pond and plot pages show the water or soil now: value, age, status word, trend, or why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring import water_now
from monitoring.tests.conftest import device_point, low_do_rule, water


def panel(client, site) -> str:
    response = client.get(f"/monitoring/sites/{site.pk}/panel/")
    assert response.status_code == 200
    return response.content.decode()


def test_pond_page_shows_do_below_the_rule_as_danger_with_a_falling_arrow(
    operator, farms, readings
):
    mine, _ = farms
    low_do_rule(mine)
    now = datetime.now(UTC)
    water(readings, mine, now - timedelta(minutes=40), do=5.5, water_temp=27.0)
    water(readings, mine, now - timedelta(minutes=2), do=2.4, do_sat=31.0, water_temp=27.1, ph=7.6)
    page = operator.get(f"/sites/{mine['pond'].pk}/").content.decode()
    assert 'data-testid="site-now"' in page
    html = panel(operator, mine["pond"])
    do = html.split('data-testid="fig-do"')[1].split("</div>")[0]
    assert 'data-level="critical"' in html.split('data-testid="fig-do"')[0][-200:]
    assert "<b>2.4</b>" in do and "mg/L" in do and "↓" in do
    assert "危险" in do or "Danger" in do
    assert "&lt; 3" in do
    temp = html.split('data-testid="fig-water_temp"')[1].split("</div>")[0]
    assert "<b>27.1</b>" in temp and "→" in temp
    assert 'data-status="critical"' in html


def test_a_faulted_probe_says_so_instead_of_showing_its_last_number(operator, farms, readings):
    mine, _ = farms
    now = datetime.now(UTC)
    water(readings, mine, now - timedelta(minutes=10), do=6.0, ph=7.5)
    device_point(readings, mine, now - timedelta(minutes=1), battery_v=3.6, faults="do:no_response")
    water(readings, mine, now - timedelta(minutes=1), ph=7.6)
    html = panel(operator, mine["pond"])
    before, after = html.split('data-testid="fig-do"')
    assert 'data-level="fault"' in before[-200:]
    assert "<b>6.0</b>" not in after.split("</div>")[0]
    assert "probe not responding" in after or "探头无响应" in after or "⚠" in after
    ph = html.split('data-testid="fig-ph"')
    assert 'data-level="nolimit"' in ph[0][-200:] and "<b>7.60</b>" in ph[1]


def test_an_old_reading_is_stale_not_current(operator, farms, readings):
    mine, _ = farms
    old = datetime.now(UTC) - water_now.STALE_AFTER - timedelta(minutes=5)
    water(readings, mine, old, do=6.1)
    html = panel(operator, mine["pond"])
    before, after = html.split('data-testid="fig-do"')
    assert 'data-level="stale"' in before[-200:]
    assert "<b>6.1</b>" not in after.split("</div>")[0]


def test_another_farms_site_panel_is_not_found(operator, farms, readings):
    _, theirs = farms
    assert operator.get(f"/monitoring/sites/{theirs['pond'].pk}/panel/").status_code == 404
    assert operator.get(f"/monitoring/tiles/{theirs['pond'].pk}/").status_code == 404


def test_influxdb_down_says_readings_are_unavailable(operator, farms, monkeypatch):
    mine, _ = farms
    monkeypatch.setenv("INFLUX_URL", "http://127.0.0.1:9")
    html = panel(operator, mine["pond"])
    assert 'class="error"' in html
