"""QR label rendering speed: 1,000 labels for one lot, end to end, on this machine.

    python -m bench.labels [--count 1000] [--template a4-3x8] [--repeat 3]

Each run is a fresh process's work: font registration, QR encoding, layout and PDF
serialisation, timed from the first call to the finished bytes, exactly as the label view
does it (one lot, so every label carries the same code). A second figure renders labels
that all carry different codes (serialised items), where QR encoding dominates.

The last line is ``labels_1000_s=<seconds> pages=<n>`` for the README (the best of
``--repeat`` cold runs, each in its own subprocess so the font load is counted every time).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _specs(count: int, distinct: bool):
    from traceability.digital_link import build
    from traceability.labels import LabelSpec

    def spec(i: int) -> LabelSpec:
        lot = f"CY-2026-{i:04d}" if distinct else "CY-2026-01"
        code = build({"01": "09506000134352", "10": lot}, "trace.example.cn")
        return LabelSpec(
            code, "草鱼（鲜活）", "湖北省荆州市公安县", "大沙湖草鱼养殖专业合作社", lot
        )

    return [spec(i) for i in range(count)] if distinct else [spec(0)] * count


def run_once(count: int, template: str, distinct: bool) -> tuple[float, int, int]:
    """Seconds, pages and bytes for one cold render in this process."""
    import pypdfium2 as pdfium

    start = time.perf_counter()
    from traceability.labels import render_labels

    pdf = render_labels(_specs(count, distinct), template)
    elapsed = time.perf_counter() - start
    return elapsed, len(pdfium.PdfDocument(pdf)), len(pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--template", default="a4-3x8")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--distinct", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        seconds, pages, size = run_once(args.count, args.template, args.distinct)
        print(f"{seconds:.4f} {pages} {size}")
        return

    def cold(distinct: bool) -> tuple[float, int, int]:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--count",
            str(args.count),
            "--template",
            args.template,
        ] + (["--distinct"] if distinct else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        seconds, pages, size = out.stdout.split()
        return float(seconds), int(pages), int(size)

    runs = [cold(False) for _ in range(max(1, args.repeat))]
    for seconds, pages, size in runs:
        print(
            f"one lot, {args.count} labels on {args.template}: {seconds:.3f} s, "
            f"{pages} pages, {size / 1024:.0f} KiB"
        )
    distinct_s, distinct_pages, distinct_size = cold(True)
    print(
        f"{args.count} different codes: {distinct_s:.3f} s, {distinct_pages} pages, "
        f"{distinct_size / 1024:.0f} KiB (QR encoding dominates)"
    )
    best = min(runs)
    print(f"labels_{args.count}_s={best[0]:.3f} pages={best[1]}")


if __name__ == "__main__":
    main()
