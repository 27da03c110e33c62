"""The zh-Hans catalogues are complete and their compiled .mo files are the ones committed.

The .mo files are committed (a clone needs no gettext tools to run), so a .po edited without
``python manage.py compilemessages`` would ship stale Chinese; these tests catch that and any
untranslated or fuzzy entry. Pure Python: no msgfmt needed on the machine.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(REPO.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [
    REPO / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
]


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file (obsolete ``#~`` ones left out)."""
    entries, entry, key = [], Entry(), None

    def finish():
        nonlocal entry
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if key and key.startswith("msgstr"):
                finish()
                key = None
            entry.fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            word, _, rest = line.partition(" ")
            if word in ("msgctxt", "msgid") and key and key.startswith("msgstr"):
                finish()
            key, value = word, ast.literal_eval(rest)
            if key == "msgstr":
                key = "msgstr[0]"
            if key.startswith("msgstr"):
                entry.msgstr.setdefault(int(key[7:-1]), "")
            elif key == "msgctxt":
                entry.msgctxt = ""
            elif key == "msgid_plural":
                entry.msgid_plural = ""
        if key.startswith("msgstr"):
            entry.msgstr[int(key[7:-1])] += value
        elif key == "msgctxt":
            entry.msgctxt += value
        elif key == "msgid":
            entry.msgid += value
        elif key == "msgid_plural":
            entry.msgid_plural += value
    finish()
    return [e for e in entries if e.msgid]  # the header has an empty msgid


def test_the_parser_reads_context_plurals_and_continuations(tmp_path):
    po = tmp_path / "t.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: zh_Hans\\n"\n\n'
        'msgctxt "camera state"\nmsgid "running"\nmsgstr "运行中"\n\n'
        '#, python-format\nmsgid "%(n)d day"\nmsgid_plural "%(n)d days"\nmsgstr[0] "%(n)d 天"\n\n'
        '#, fuzzy\nmsgid ""\n"long "\n"text"\nmsgstr "长"\n"文本"\n',
        encoding="utf-8",
    )
    a, b, c = parse_po(po)
    assert (a.msgctxt, a.msgid, a.msgstr) == ("camera state", "running", {0: "运行中"})
    assert (b.msgid_plural, b.msgstr, b.fuzzy) == ("%(n)d days", {0: "%(n)d 天"}, False)
    assert (c.msgid, c.msgstr, c.fuzzy) == ("long text", {0: "长文本"}, True)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_message_is_translated_and_none_is_fuzzy(po):
    bad = [e.msgid for e in parse_po(po) if e.fuzzy or not all(e.msgstr.values())]
    assert not bad, f"{len(bad)} untranslated or fuzzy in {po}: {bad[:10]}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_the_committed_mo_holds_exactly_the_po_translations(po):
    with po.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog
    expected = {}
    for e in parse_po(po):
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            expected[key] = e.msgstr[0]
        else:
            expected.update({(key, n): text for n, text in e.msgstr.items()})
    compiled = {k: v for k, v in compiled.items() if k != ""}  # the header
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys())
    stale += sorted(str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert not stale, f"{po.with_suffix('.mo')} is stale; run compilemessages: {stale[:10]}"
