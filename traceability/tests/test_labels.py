"""QR label sheets: every printed code decodes, with a real decoder, to its label's code."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.lib.units import mm

from traceability import trace_code
from traceability.digital_link import build
from traceability.labels import (
    TEMPLATES,
    THERMAL,
    THERMAL_DOT,
    CodeTooLong,
    LabelSpec,
    certificate_pdf,
    module_size,
    render_labels,
)

DPI = 200


def _specs(n: int) -> list[LabelSpec]:
    specs = []
    for i in range(n):
        if i % 2:
            code = build({"01": "09506000134352", "10": f"CY-2026-{i:02d}"}, "trace.example.cn")
        else:
            code = f"https://trace.example.cn/t/{trace_code.new_trace_code()}"
        specs.append(
            LabelSpec(
                code=code,
                product="草鱼（鲜活）",
                origin="湖北省荆州市公安县",
                producer="大沙湖草鱼养殖专业合作社",
                lot=f"CY-2026-{i:02d}",
            )
        )
    return specs


def _decoded_by_slot(pdf: bytes, template: str) -> dict[int, str]:
    """Decoded text keyed by label index, from the position of each code on its page."""
    t = TEMPLATES[template]
    scale = DPI / 72
    per_page = t.columns * t.rows
    found: dict[int, str] = {}
    doc = pdfium.PdfDocument(pdf)
    for page_no in range(len(doc)):
        image = doc[page_no].render(scale=scale).to_pil()
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            p = result.position
            cx = (p.top_left.x + p.bottom_right.x) / 2 / scale
            cy = (p.top_left.y + p.bottom_right.y) / 2 / scale
            col = int((cx - t.left) // t.label_width)
            row = int((cy - t.top) // t.label_height)
            found[page_no * per_page + row * t.columns + col] = result.text
    return found


def test_every_qr_on_an_a4_sheet_decodes_to_its_labels_code():
    specs = _specs(30)  # one full sheet of 24 and part of a second
    pdf = render_labels(specs, "a4-3x8")
    assert len(pdfium.PdfDocument(pdf)) == 2
    assert _decoded_by_slot(pdf, "a4-3x8") == {i: s.code for i, s in enumerate(specs)}


@pytest.mark.parametrize("template", THERMAL)
def test_every_thermal_label_decodes_to_its_code(template):
    specs = _specs(3)
    pdf = render_labels(specs, template)
    assert len(pdfium.PdfDocument(pdf)) == 3
    assert _decoded_by_slot(pdf, template) == {i: s.code for i, s in enumerate(specs)}


# A long code: a two-level domain and a lot number using GS1's reserved characters.
LONG_CODE = build(
    {"01": "09506000134352", "10": "CY/2026%01&A+"}, "https://trace.hubei-coop.example.cn"
)
MEASURE_DPI = 1200


def _measured(template: str, code: str = LONG_CODE) -> tuple[float, float, object]:
    """Module (mm) of the printed QR, measured on the rendered PDF, and the page image.

    The module is the symbol's side (corner to corner, found by a real decoder) over its
    module count (17 + 4 × version, ISO/IEC 18004).
    """
    spec = LabelSpec(code=code, product="草鱼", origin="洪湖市", producer="清水湖合作社", lot="1")
    page = pdfium.PdfDocument(render_labels([spec], template))[0]
    # Rendered without anti-aliasing, as a printer's raster is.
    image = page.render(scale=MEASURE_DPI / 72, no_smoothpath=True).to_pil().convert("L")
    [result] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert result.text == code
    p = result.position
    side_px = ((p.top_right.x - p.top_left.x) ** 2 + (p.top_right.y - p.top_left.y) ** 2) ** 0.5
    count = 17 + 4 * int(result.extra["Version"])
    module_mm = side_px / count / MEASURE_DPI * 25.4  # the corners are the symbol's outer ones
    return module_mm, count, (image, p)


@pytest.mark.parametrize("template", [*THERMAL, "a4-3x8"])
def test_printed_qr_module_is_large_enough_for_a_phone(template):
    module_mm, _, _ = _measured(template)
    assert module_mm >= 0.4 - 0.01  # MIN_MODULE, less one 1200-dpi pixel of measuring error
    assert module_mm == pytest.approx(module_size(LONG_CODE, template) / mm, abs=0.01)


@pytest.mark.parametrize("template", THERMAL)
def test_thermal_modules_are_whole_printer_dots(template):
    dots = module_size(LONG_CODE, template) / THERMAL_DOT
    assert dots == pytest.approx(round(dots)) and round(dots) >= 3


@pytest.mark.parametrize("template", THERMAL)
def test_the_quiet_zone_of_four_modules_is_blank(template):
    module_mm, count, (image, p) = _measured(template)
    px = module_mm / 25.4 * MEASURE_DPI
    left, top = p.top_left.x, p.top_left.y
    right, bottom = p.bottom_right.x, p.bottom_right.y
    band = 4 * px - 2  # stay a pixel clear of the symbol's own edge
    pixels = image.load()
    for x in range(max(0, int(left - band)), int(right + band)):
        for y in range(max(0, int(top - band)), int(bottom + band)):
            inside = left - 1 <= x <= right + 1 and top - 1 <= y <= bottom + 1
            if not inside and 0 <= x < image.width and 0 <= y < image.height:
                assert pixels[x, y] > 200, f"mark at ({x}, {y}) inside the quiet zone"


def test_a_code_too_long_for_the_label_is_refused_not_printed_unreadable():
    long_lot = build({"01": "09506000134352", "10": "ABCDEFGHIJKLMNOPQRST"},
                     "https://trace.a-very-long-cooperative-name.example.cn")  # fmt: skip
    with pytest.raises(CodeTooLong, match="modules a side"):
        render_labels([LabelSpec(code=long_lot + "?7007=260601", product="x", origin="",
                                 producer="")], "thermal-40x30")  # fmt: skip


def test_label_text_shows_chinese_fields_and_the_code_text():
    spec = _specs(2)[1]
    page = pdfium.PdfDocument(render_labels([spec], "a4-3x8"))[0]
    text = page.get_textpage().get_text_range()
    for part in ("草鱼（鲜活）", "湖北省荆州市公安县", "大沙湖草鱼养殖专业合作社", spec.code):
        assert part in text


def test_cjk_font_is_embedded_and_no_raster_images_are_used():
    pdf = render_labels(_specs(4), "a4-3x8")
    assert b"/FontFile2" in pdf and b"WenQuanYi" in pdf
    assert b"/Subtype /Image" not in pdf


def test_identical_labels_are_drawn_once_and_placed_many_times():
    spec = _specs(1)[0]
    one = render_labels([spec] * 24, "a4-3x8")
    assert one.count(b"/Subtype /Form") == 1


def test_unknown_template_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="a4-3x8"):
        render_labels(_specs(1), "letter-2x5")


def test_empty_label_list_is_rejected():
    with pytest.raises(ValueError, match="no labels"):
        render_labels([], "a4-3x8")


def test_certificate_carries_the_title_fields_and_a_decodable_qr():
    fields = {
        "product": "草鱼",
        "quantity": "800 kg",
        "origin": "公安县",
        "producer": "大沙湖合作社",
        "address": "湖北省洪湖市大沙湖农场清水湖路 8 号",
        "contact": "0716-2000001",
        "issued": "2026-06-01",
        "lot": "CY-2026-01",
        "basis": "自行检测合格",
    }
    code = "https://trace.example.cn/t/0123456789ABCD"
    page = pdfium.PdfDocument(certificate_pdf(fields, code))[0]
    text = page.get_textpage().get_text_range()
    assert "承诺达标合格证" in text and "[√] 自行检测合格" in text and "CY-2026-01" in text
    assert "未使用禁用农药、兽药及其他化合物" in text and "使用的常规农药、兽药残留不超标" in text
    assert "地址：湖北省洪湖市大沙湖农场清水湖路 8 号" in text and "联系方式：0716-2000001" in text
    results = zxingcpp.read_barcodes(page.render(scale=DPI / 72).to_pil())
    assert [r.text for r in results] == [code]
