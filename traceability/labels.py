"""Print-ready PDF label sheets with QR codes, and the 承诺达标合格证 certificate.

Speed matters (a cooperative prints 1,000 labels for a lot in one action), so:

* the QR is drawn as vector rectangles, one per horizontal run of dark modules,
  from a ``qrcode`` matrix; no raster image is made;
* each distinct label is drawn once as a PDF form XObject and placed with
  ``doForm``, so 1,000 identical labels cost one drawing plus 1,000 placements;
* the CJK font is registered once per process and embedded as a subset.

The font is WenQuanYi Micro Hei (TrueType outlines, which reportlab needs;
Apache-2.0 or GPLv3 with font exception), shipped by the PyPI package
``paperang-p2-fonts-cjk``; Debian's ``fonts-wqy-microhei`` is used if present
instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "WenQuanYiMicroHei"
_DEBIAN_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@dataclass(frozen=True)
class LabelSpec:
    """What one label shows. ``code`` goes into the QR; ``caption`` (default: code) under it."""

    code: str
    product: str
    origin: str
    producer: str
    lot: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Template:
    """A sheet or roll layout; all lengths in points.

    ``qr_box`` is the largest square the QR code and its quiet zone may take in the
    label's top-left corner; ``dot`` (when set) is the print head's dot pitch, and the
    module is made a whole number of dots so every module prints the same width.
    """

    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float  # page margin to the first column
    top: float  # page margin to the first row
    qr_box: float
    margin: float  # inside the label
    product_size: float
    detail_size: float
    caption_size: float
    dot: float = 0.0


# ISO/IEC 18004 asks for a light margin ("quiet zone") of 4 modules around a QR code.
QUIET_MODULES = 4
# Smallest module printed. A phone held at hand distance reads modules of about 0.4 mm;
# 0.25 mm is for industrial scanners (module-width table of
# https://qrtool.ch/en/blog/post.php?slug=qr-code-groesse-druck-mindestmasse ; the
# maximum scan distance is about ten times the module width).
MIN_MODULE = 0.4 * mm
THERMAL_DOT = 25.4 / 203 * mm  # 203 dpi, the common thermal label head (8 dots/mm)

TEMPLATES: dict[str, Template] = {
    # A4 sheet of 24 labels 70 × 37 mm (the common 3 × 8 no-gap layout).
    "a4-3x8": Template(A4[0], A4[1], 3, 8, 70 * mm, 37 * mm, 0, 0.5 * mm,
                       31 * mm, 3 * mm, 11, 7, 6),
    # Thermal rolls (direct thermal or transfer, 203 dpi): one label per page.
    "thermal-40x30": Template(40 * mm, 30 * mm, 1, 1, 40 * mm, 30 * mm, 0, 0,
                              24 * mm, 1.5 * mm, 7, 5, 3.5, THERMAL_DOT),
    "thermal-50x30": Template(50 * mm, 30 * mm, 1, 1, 50 * mm, 30 * mm, 0, 0,
                              27 * mm, 2 * mm, 8, 5.5, 4, THERMAL_DOT),
    "thermal-60x40": Template(60 * mm, 40 * mm, 1, 1, 60 * mm, 40 * mm, 0, 0,
                              34 * mm, 2 * mm, 10, 6.5, 5, THERMAL_DOT),
}  # fmt: skip
THERMAL = tuple(name for name in TEMPLATES if name.startswith("thermal-"))


class CodeTooLong(ValueError):
    """The code needs more modules than the label can print at a scannable size."""


def _font_path() -> Path:
    try:
        packaged = resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
        if packaged.is_file():
            return Path(str(packaged))
    except ModuleNotFoundError:
        pass
    if _DEBIAN_FONT.is_file():
        return _DEBIAN_FONT
    raise RuntimeError(
        "no CJK font: install the PyPI package paperang-p2-fonts-cjk "
        "(or the Debian package fonts-wqy-microhei)"
    )


@cache
def register_font() -> str:
    """Register the CJK font with reportlab once per process; returns its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(_font_path()), subfontIndex=0))
    return FONT


@lru_cache(maxsize=4096)  # a print run reuses one code; bound memory in long-lived workers
def qr_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """QR module count and the dark runs ``(row, first column, length)``, error level M."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(matrix), tuple(runs)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR for ``text`` with its lower-left corner at (x, y); no quiet zone included."""
    count, runs = qr_runs(text)
    module = size / count
    path = canvas.beginPath()
    for row, col, length in runs:
        # Slight overlap between rows avoids hairline gaps in some renderers.
        path.rect(x + col * module, y + size - (row + 1) * module, length * module, module * 1.01)
    canvas.drawPath(path, stroke=0, fill=1)


def module_size(text: str, template: str | Template, box: float | None = None) -> float:
    """The module width (points) ``text`` gets on ``template``: the largest that fits the
    QR and its quiet zone in the box, rounded down to whole print-head dots.

    Raises ``CodeTooLong`` below ``MIN_MODULE``: such a label would not scan on a phone.
    """
    t = TEMPLATES[template] if isinstance(template, str) else template
    count, _ = qr_runs(text)
    module = (t.qr_box if box is None else box) / (count + 2 * QUIET_MODULES)
    if t.dot:
        module = int(module / t.dot + 1e-9) * t.dot
    if module < MIN_MODULE - 1e-9:
        raise CodeTooLong(
            f"the code needs {count} modules a side: on this label each would be "
            f"{module / mm:.2f} mm, below the {MIN_MODULE / mm:.2f} mm a phone reads; "
            "use a larger label or a shorter domain"
        )
    return module


def _fit(text: str, size: float, width: float, minimum: float = 3.0) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits in ``width``."""
    natural = pdfmetrics.stringWidth(text, FONT, size)
    if natural <= width:
        return size
    return max(minimum, size * width / natural)


def _draw_label(canvas: Canvas, spec: LabelSpec, t: Template) -> None:
    """QR with its quiet zone at the top left, the caption under it, the text on the right."""
    m = t.margin
    caption = spec.caption or spec.code
    caption_size = _fit(caption, t.caption_size, t.label_width - 2 * m, 2.5)
    caption_y = m * 0.6
    box = min(t.qr_box, t.label_height - (caption_y + caption_size + m * 0.3))
    module = module_size(spec.code, t, box)
    count, _ = qr_runs(spec.code)
    quiet = QUIET_MODULES * module
    qr_size = count * module
    canvas.setFillGray(0)
    draw_qr(canvas, spec.code, quiet, t.label_height - quiet - qr_size, qr_size)
    canvas.setFont(FONT, caption_size)
    canvas.drawString(m, caption_y, caption)

    text_x = qr_size + 2 * quiet  # nothing printed inside the quiet zone
    text_w = t.label_width - text_x - m
    y = t.label_height - m - t.product_size
    size = _fit(spec.product, t.product_size, text_w)
    canvas.setFont(FONT, size)
    canvas.drawString(text_x, y, spec.product)
    y -= t.product_size * 0.6
    for label, value in (("产地", spec.origin), ("生产者", spec.producer), ("批次", spec.lot)):
        if not value:
            continue
        line = f"{label} {value}"
        y -= t.detail_size * 1.35
        canvas.setFont(FONT, _fit(line, t.detail_size, text_w, 2.5))
        canvas.drawString(text_x, y, line)


def render_labels(labels: list[LabelSpec], template: str) -> bytes:
    """A PDF with ``labels`` laid out on ``template`` sheets (see ``TEMPLATES``)."""
    try:
        t = TEMPLATES[template]
    except KeyError:
        raise ValueError(
            f"unknown label template {template!r}; use one of {sorted(TEMPLATES)}"
        ) from None
    if not labels:
        raise ValueError("no labels to render")
    register_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(t.page_width, t.page_height), pageCompression=1)
    canvas.setTitle("QR labels")
    forms: dict[LabelSpec, str] = {}
    per_page = t.columns * t.rows
    for i, spec in enumerate(labels):
        if i and i % per_page == 0:
            canvas.showPage()
        name = forms.get(spec)
        if name is None:
            name = forms[spec] = f"label{len(forms)}"
            canvas.beginForm(name, lowerx=0, lowery=0, upperx=t.label_width, uppery=t.label_height)
            _draw_label(canvas, spec, t)
            canvas.endForm()
        slot = i % per_page
        col, row = slot % t.columns, slot // t.columns
        x = t.left + col * t.label_width
        y = t.page_height - t.top - (row + 1) * t.label_height
        canvas.saveState()
        canvas.translate(x, y)
        canvas.doForm(name)
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# The commitment of the current national rules: 《农产品质量安全承诺达标合格证管理办法》
# (农业农村部令2025年第4号, published 2025-12-02, in force 2026-02-01), 第二条: the issuer
# "承诺其销售的农产品未使用禁用农药、兽药及其他化合物且使用的常规农药、兽药残留不超标"
# (text read at http://www.03j9n.cn/law/1/54424.html and
# http://www.sztjk.cn/web/article/15492.html). Its basic items — product, quantity, origin,
# date of issue, issuer and contact — and the rule that a QR form shows the words
# "承诺达标合格证" prominently are summarised at
# https://reportify.cn/news/1215483745520455680. The attachment with the new sample layout
# could not be read; the 2019 sample may be used until 2026-05-01
# (http://www.lnqzy.com/shipinzixun/1302.html), so the wording follows 第二条.
COMMITMENTS = (
    "未使用禁用农药、兽药及其他化合物",
    "使用的常规农药、兽药残留不超标",
    "对承诺的真实性负责",
)
BASES = ("委托检测合格", "自行检测合格", "质量安全控制符合要求")


def certificate_pdf(fields: dict[str, str], code: str) -> bytes:
    """承诺达标合格证 on an A6 landscape page, with the trace QR on the same sheet (证码合一).

    ``fields``: product, quantity, origin, producer, credit_code, address, contact, issued,
    lot and basis (one of ``BASES``; it is ticked). The commitment follows the national rules
    (see ``COMMITMENTS``).
    """
    register_font()
    width, height = landscape((105 * mm, 148 * mm))
    out = io.BytesIO()
    c = Canvas(out, pagesize=(width, height))
    c.setTitle("承诺达标合格证")
    m = 7 * mm
    c.setLineWidth(1)
    c.rect(m / 2, m / 2, width - m, height - m)
    c.setFont(FONT, 16)
    c.drawCentredString(width / 2, height - m - 10, "承诺达标合格证")
    qr = 30 * mm
    draw_qr(c, code, width - m - qr, height - m - 22 - qr, qr)
    y = height - m - 34
    c.setFont(FONT, 9)
    c.drawString(m, y, "我承诺对销售的食用农产品：")
    for line in COMMITMENTS:
        y -= 13
        c.drawString(m + 6, y, f"[√] {line}")
    y -= 15
    c.drawString(m, y, "承诺依据：")
    basis = fields.get("basis", "")
    for option in BASES:
        y -= 13
        c.drawString(m + 6, y, f"{'[√]' if option == basis else '[  ]'} {option}")
    y -= 2
    rows = (
        ("产品名称", fields.get("product", "")),
        ("数量（重量）", fields.get("quantity", "")),
        ("产地", fields.get("origin", "")),
        ("生产者盖章或签名", fields.get("producer", "")),
        ("统一社会信用代码", fields.get("credit_code", "")),
        ("地址", fields.get("address", "")),
        ("联系方式", fields.get("contact", "")),
        ("开具日期", fields.get("issued", "")),
        ("批次", fields.get("lot", "")),
    )
    for label, value in rows:
        if label == "统一社会信用代码" and not value:
            continue  # a family farm has none
        y -= 12
        line = f"{label}：{value}"
        c.setFont(FONT, _fit(line, 9, width - 2 * m))
        c.drawString(m, y, line)
    c.setFont(FONT, 6)
    c.drawString(width - m - qr, height - m - 28 - qr, "扫码查看追溯信息")
    host = urlsplit(code).netloc  # the domain the code opens, readable by the buyer too
    c.setFont(FONT, _fit(host, 6, qr, 3))
    c.drawString(width - m - qr, height - m - 35 - qr, host)
    c.showPage()
    c.save()
    return out.getvalue()
