"""Draw the app icons (a water drop over a field furrow on the header green).

    python -m phone.draw_icons

Writes ``phone/static/phone/icons/``: 192 and 512 px icons with rounded corners
(purpose "any") and a full-bleed 512 px maskable icon whose drawing stays inside the
central 80 % safe zone (W3C Web Application Manifest, "maskable" icons).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "static" / "phone" / "icons"
GREEN = (46, 125, 50, 255)
WHITE = (255, 255, 255, 255)
WATER = (187, 222, 251, 255)


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges without an anti-aliasing pass
    s = size * scale
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    if maskable:
        d.rectangle([0, 0, s, s], fill=GREEN)
        inner = 0.8  # the safe zone
    else:
        d.rounded_rectangle([0, 0, s - 1, s - 1], radius=s // 5, fill=GREEN)
        inner = 0.9
    u = s * inner / 10  # drawing unit inside the zone
    cx, top = s / 2, s / 2 - 5 * u
    # The drop: a triangle on top of a circle.
    r = 2.2 * u
    cy = top + 4.6 * u
    d.polygon(
        [(cx, top + 0.8 * u), (cx - r * 0.93, cy - r * 0.37), (cx + r * 0.93, cy - r * 0.37)],
        fill=WHITE,
    )
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=WHITE)
    # Water inside the drop's lower half.
    d.chord([cx - r * 0.7, cy - r * 0.7, cx + r * 0.7, cy + r * 0.7], 0, 180, fill=WATER)
    # Furrows: two rounded bars under the drop.
    for i, width in enumerate((7.0, 5.0)):
        y = cy + r + (0.8 + 1.1 * i) * u
        d.rounded_rectangle(
            [cx - width / 2 * u, y, cx + width / 2 * u, y + 0.6 * u], radius=0.3 * u, fill=WHITE
        )
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
