"""Every regional page reads in Chinese, and none answers 500, with InfluxDB empty."""

from __future__ import annotations

import pytest

from tests.visible_text import untranslated

pytestmark = pytest.mark.django_db

PAGES = ["/regional/", "/regional/?region=421083", "/regional/water/", "/regional/pests/",
         "/regional/lots/", "/regional/reports/", "/regional/screen/", "/"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_regional_pages_read_in_chinese(jingzhou, influx, path):
    response = jingzhou.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    if "<main>" in html:  # the shared header is checked by the project's crawl, not here
        html = html[html.index("<main>") :]
    assert untranslated(html) == []


def test_water_page_says_when_influxdb_cannot_be_read(jingzhou, monkeypatch):
    monkeypatch.setenv("INFLUX_URL", "http://127.0.0.1:9")
    response = jingzhou.get("/regional/water/")
    assert response.status_code == 200
    assert 'data-testid="influx-down"' in response.content.decode()
