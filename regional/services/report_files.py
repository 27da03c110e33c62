"""The weekly report's files, written from its figures: a PDF to print, an XLSX to work on.

The PDF uses reportlab with the CJK font the label sheets already register
(``traceability.labels.register_font``); the XLSX uses openpyxl. A figure that is a gap
(``None``) is written as the word for "no data", never as 0.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from traceability.labels import register_font

REASONS = {
    "critical": "critical incidents",
    "warning": "warnings",
    "offline": "devices offline",
    "never": "devices never reported",
    "battery": "low batteries",
}


def no_data() -> str:
    return _("no data")


def cell(value) -> str | int | float:
    if value is None:
        return no_data()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def reason_text(reasons: list) -> str:
    return "、".join(f"{_(REASONS.get(k, k))} {n}" for k, n in reasons)


def sections(fig: dict) -> list[tuple[str, list[str], list[list], str]]:
    """(title, header, rows, page) of every table, shared by the PDF and the XLSX."""
    o = fig["overview"]
    child_header = [
        _("Region"), _("Farms"), _("Plots"), _("Ponds"), _("Devices"), _("Online"),
        _("Offline"), _("Never reported"), _("Low battery"), _("Coverage %"),
        _("Open critical"), _("Open warnings"), _("Incidents opened"), _("Acknowledged"),
        _("Ack. median (min)"), _("Ack. P90 (min)"),
    ]  # fmt: skip

    def child_row(c: dict) -> list:
        return [
            c["name"], c["farms"], c["plots"], c["ponds"], c["devices"], c["online"],
            c["offline"], c["never_reported"], c["low_battery"], cell(c["coverage_pct"]),
            c["open_critical"], c["open_warning"], c["opened"], c["acknowledged"],
            cell(c["ack_median_min"]), cell(c["ack_p90_min"]),
        ]  # fmt: skip

    w, p, t = fig["water"], fig["pests"], fig["trace"]
    return [
        (_("Overview"), child_header, [child_row(o)], o["page"]),
        (_("By region"), child_header, [child_row(c) for c in fig["children"]], o["page"]),
        (
            _("Farms needing attention"),
            [_("Farm"), _("County"), _("Why")],
            [[a["farm"], a["county"], reason_text(a["reasons"])] for a in fig["attention"]],
            o["page"],
        ),
        (
            _("Water quality (GB 11607-89)"),
            [
                _("County"),
                _("Ponds"),
                _("Ponds with data"),
                _("Ponds without data"),
                _("Data coverage %"),
                _("Hours DO ≤ 5 mg/L"),
                _("Previous week"),
                _("Ponds breached"),
                _("Previous week"),
                _("NH3 peak (mg/L)"),
            ],  # fmt: skip
            [
                [
                    r["name"],
                    r["ponds"],
                    r["ponds_with_data"],
                    r["gap_ponds"],
                    cell(r["data_pct"]),
                    cell(r["hours_below"]),
                    cell(r["prev_hours_below"]),
                    cell(r["ponds_breached"]),
                    cell(r["prev_ponds_breached"]),
                    cell(r["nh3_peak"]),
                ]  # fmt: skip
                for r in w["rows"]
            ],
            w["page"],
        ),
        (
            _("Pests (trap counts, reviewed first)"),
            [
                _("County"),
                _("Species"),
                _("Catch"),
                _("Previous week"),
                _("Change %"),
                _("Traps"),
                _("Per trap"),
                _("Threshold"),
                _("Above threshold"),
            ],  # fmt: skip
            [
                [
                    r["county"],
                    r["species"],
                    cell(r["catch"]),
                    cell(r["prev_catch"]),
                    cell(r["change_pct"]),
                    r["traps"],
                    cell(r["per_trap"]),
                    cell(r["threshold"]),
                    cell(r["above"]),
                ]  # fmt: skip
                for r in p["rows"]
            ],
            p["page"],
        ),
        (
            _("Traceability"),
            [
                _("County"),
                _("Lots released"),
                _("Lots shipped"),
                _("Lots held"),
                _("Certificates (合格证)"),
            ],  # fmt: skip
            [
                [r["county"], r["released"], r["shipped"], r["held"], r["certificates"]]
                for r in t["rows"]
            ],
            t["page"],
        ),
        (
            _("Lots held and why"),
            [_("Lot"), _("Product"), _("Reasons")],
            [[h["lot"], h["product"], "；".join(h["reasons"])] for h in t["held"]],
            t["page"],
        ),
        (_("Gaps in the data"), [_("Gap")], [[g] for g in fig["gaps"]], o["page"]),
    ]


def title_of(fig: dict) -> str:
    return _("%(region)s weekly monitoring report, %(start)s to %(end)s") % {
        "region": fig["region"]["name"],
        "start": fig["week_start"],
        "end": fig["week_end"],
    }


def report_pdf(fig: dict, site: Callable[[str], str] | None = None) -> bytes:
    font = register_font()
    site = site or (lambda path: settings.REGIONAL_SITE_URL.rstrip("/") + path)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=16, spaceBefore=6)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title_of(fig),
    )
    story = [
        Paragraph(escape(title_of(fig)), title),
        Paragraph(escape(_("Generated %(at)s (Beijing time)") % {"at": fig["generated_at"]}), body),
    ]
    for name, header, rows, page in sections(fig):
        story.append(Paragraph(escape(name), head))
        story.append(Paragraph(escape(_("Page: %(url)s") % {"url": site(page)}), body))
        if not rows:
            story.append(Paragraph(escape(_("None.")), body))
            continue
        data = [[Paragraph(escape(str(h)), body) for h in header]] + [
            [Paragraph(escape(str(v)), body) for v in row] for row in rows
        ]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0e6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 3 * mm)]
    doc.build(story)
    return out.getvalue()


def report_xlsx(fig: dict, site: Callable[[str], str] | None = None) -> bytes:
    site = site or (lambda path: settings.REGIONAL_SITE_URL.rstrip("/") + path)
    wb = Workbook()
    wb.remove(wb.active)
    for i, (name, header, rows, page) in enumerate(sections(fig)):
        ws = wb.create_sheet(title=f"{i + 1} {name}"[:31].replace("/", "-"))
        ws.append([title_of(fig)])
        ws.append([_("Page"), site(page)])
        ws.append(header)
        for c in ws[3]:
            c.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
