"""Every page every demo role can reach reads in Chinese when the browser asks for zh-Hans.

The crawl starts at the navigation and follows same-site links (bounded), renders each page
with ``Accept-Language: zh-Hans`` and lists every visible text that still reads as English,
for every page and role at once.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict, deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from agrimon.config import load
from demo.farm import DEMO_PASSWORD
from sensors.timeseries import TimeSeries
from tests.crawl_world import populate
from tests.visible_text import english_words, untranslated, visible_texts

pytestmark = pytest.mark.django_db

# One user per role, each the one with the most to see.
ROLES = ["farmer_wang", "farmer_li", "manager_honghu", "manager_jianli", "bureau_jingzhou", "admin"]
MAX_PAGES_PER_ROLE = 240  # the administrator reaches about 215
MAX_VARIANTS_PER_PATH = 3  # the same path with other query strings (filters, pages)
SKIP = re.compile(  # paths not crawled: admin, API, downloads, images
    r"^/(admin|api|static|media|i18n|ws)/|^/accounts/logout|"
    r"\.(pdf|csv|json|jsonld|jpg|jpeg|png|zip|txt)$|/(photo|snapshot\.jpg|annotated\.jpg)$"
)
HREF = re.compile(r"""<a\s[^>]*?href=["']([^"'#]+)""", re.I)
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans,zh;q=0.9"}


@pytest.fixture
def world(settings, tmp_path, monkeypatch):
    """The demo world, with its own InfluxDB database (empty: pages show "no data")."""
    ts = TimeSeries.from_config(load(), database=f"test_crawl_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    monkeypatch.setenv("INFLUX_DB", ts.database)
    settings.MEDIA_ROOT = tmp_path / "media"
    populate(tmp_path / "media")
    yield
    ts.drop_database()
    ts.close()


def links(html: str, base: str) -> list[str]:
    out = []
    for href in HREF.findall(html):
        url = urlsplit(urljoin(base, href.replace("&amp;", "&")))
        if url.netloc and url.netloc != "testserver":
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if not SKIP.search(url.path) and "lang=en" not in url.query:  # the English switch
            out.append(path)
    return out


def crawl(
    client: Client, start: list[str], seen: set[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Pages reached from ``start`` → their English texts; and pages that failed. ``seen``
    (empty at first) collects every URL requested."""
    variants: dict[str, int] = defaultdict(int)
    queue = deque(start)
    found: dict[str, list[str]] = {}
    failed: list[str] = []
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or variants[path] >= MAX_VARIANTS_PER_PATH:
            continue
        seen.add(url)
        variants[path] += 1
        response = client.get(url, **ZH)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code >= 500:
            failed.append(f"{url} → {response.status_code}")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        bad = untranslated(html)
        if bad:
            found[url] = bad
        queue.extend(links(html, url))
    return found, failed


def test_the_text_extractor_reads_what_people_see_and_flags_english():
    html = (
        '<title>设备</title><script>var x = "hidden text";</script>'
        '<p>running</p><input placeholder="Search here"><td translate="no">payload too short</td>'
        '<button lang="en">English</button>'
        "<span>3 天 2 小时 · mg/L · DevEUI a84041000181c61a</span>"
    )
    assert visible_texts(html) == [
        "设备", "running", "Search here", "3 天 2 小时 · mg/L · DevEUI a84041000181c61a"
    ]  # fmt: skip
    assert untranslated(html) == ["running", "Search here"]
    assert english_words("GTIN 09506000134352 · EPCIS · farmer_wang · white_spot") == ["white_spot"]


# Pages of every kind the crawl must reach, or it proves nothing.
MUST_REACH = [
    r"^/farms/\d+/$", r"^/sites/\d+/$", r"^/alerts/incidents/\d+/$", r"^/alerts/rule/\d+/$",
    r"^/alerts/policies/$", r"^/alerts/silences/$", r"^/devices/[0-9a-f]{16}/$",
    r"^/devices/dead-letters/$", r"^/vision/detections/$", r"^/vision/traps/\d+/$",
    r"^/vision/cameras/$", r"^/vision/sites/\d+/pests/$", r"^/trace/lots/\d+/$", r"^/t/\w+$",
]  # fmt: skip


def test_every_page_reads_in_chinese_for_every_role(world):
    report: list[str] = []
    reached: set[str] = set()
    for username in ROLES:
        client = Client()
        assert client.login(username=username, password=DEMO_PASSWORD)
        home = client.get("/", **ZH).content.decode()
        start = ["/", *links(home, "/"), "/no-such-page/", "/trace/lots/999999/", "/trace/import/"]
        seen: set[str] = set()
        found, failed = crawl(client, start, seen)
        reached |= seen
        report += [f"[{username}] {url}: server error" for url in failed]
        for url, texts in found.items():
            report += [f"[{username}] {url}: {t!r}" for t in dict.fromkeys(texts)]
    anonymous = Client(enforce_csrf_checks=True)
    for method, url in [("get", "/accounts/login/"), ("get", "/no-such-page/"),
                        ("post", "/accounts/login/")]:  # fmt: skip
        response = getattr(anonymous, method)(url, **ZH)  # the POST fails its CSRF check
        texts = untranslated(response.content.decode())
        report += [f"[anonymous] {method.upper()} {url}: {t!r}" for t in texts]
    paths = {urlsplit(u).path for u in reached}
    missed = [p for p in MUST_REACH if not any(re.search(p, path) for path in paths)]
    assert not missed, f"the crawl never reached {missed}"
    assert not report, "English left on pages read in zh-Hans:\n" + "\n".join(report)
