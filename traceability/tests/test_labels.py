"""QR label sheets: every printed code decodes, with a real decoder, to its label's code."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp

from traceability import trace_code
from traceability.digital_link import build
from traceability.labels import TEMPLATES, LabelSpec, certificate_pdf, render_labels

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


def test_every_roll_label_decodes_to_its_code():
    specs = _specs(3)
    pdf = render_labels(specs, "roll-50x30")
    assert len(pdfium.PdfDocument(pdf)) == 3
    assert _decoded_by_slot(pdf, "roll-50x30") == {i: s.code for i, s in enumerate(specs)}


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
        "contact": "13800000000",
        "issued": "2026-06-01",
        "lot": "CY-2026-01",
        "basis": "自行检测合格",
    }
    code = "https://trace.example.cn/t/0123456789ABCD"
    page = pdfium.PdfDocument(certificate_pdf(fields, code))[0]
    text = page.get_textpage().get_text_range()
    assert "承诺达标合格证" in text and "[√] 自行检测合格" in text and "CY-2026-01" in text
    results = zxingcpp.read_barcodes(page.render(scale=DPI / 72).to_pil())
    assert [r.text for r in results] == [code]
