"""How ``vision.tune`` picks the product's settings from its held-out table."""

from __future__ import annotations

from vision.tune import THRESHOLDS, choose


def _row(tile: int | None, overlap: int | None, conf: float, map50: float, mape: float) -> dict:
    return {
        "tile": tile,
        "overlap": overlap,
        "confidence": conf,
        "map50": map50,
        "count_mape": mape,
    }


def test_the_cheapest_setting_near_the_best_map_wins_then_the_lowest_count_error() -> None:
    rows = [
        _row(256, 64, 0.30, 0.832, 24.0),
        _row(256, 64, 0.35, 0.832, 22.0),
        _row(256, 32, 0.30, 0.829, 23.0),  # within 0.005 and fewer tiles: chosen setting
        _row(256, 32, 0.35, 0.829, 21.0),
        _row(224, 64, 0.35, 0.834, 15.0),  # best mAP but the most tiles
        _row(320, 0, 0.35, 0.790, 10.0),  # cheapest, but too far below the best mAP
    ]
    assert choose(rows) == rows[3]


def test_untiled_models_pick_only_the_threshold() -> None:
    rows = [_row(None, None, c, 0.6, abs(c - 0.2) * 100) for c in (0.1, 0.15, 0.2, 0.25)]
    assert choose(rows)["confidence"] == 0.2


def _counted(conf: float, errors: list[float], total: float) -> dict:
    row = _row(224, 64, conf, 0.85, sum(errors) / len(errors) * 100)
    return {**row, "photo_count_errors": errors, "count_total_error": total}


def test_a_lead_carried_by_one_photo_yields_to_the_truest_total() -> None:
    # 0.35 has the lowest mean error only through the one overcounted card (photo 0);
    # on the other photos 0.30 is as good, and its total count is nearer the truth.
    rows = [
        _counted(0.30, [0.9, 0.1, 0.12, 0.1, 0.08, 0.1, 0.11, 0.1], 1.5),
        _counted(0.35, [0.5, 0.15, 0.14, 0.12, 0.12, 0.13, 0.12, 0.13], -8.0),
    ]
    assert choose(rows)["confidence"] == 0.30


def test_a_clear_lead_on_every_photo_keeps_the_lowest_error() -> None:
    rows = [
        _counted(0.30, [0.3, 0.25, 0.3, 0.28, 0.3, 0.27, 0.3, 0.29], 0.5),
        _counted(0.35, [0.1, 0.12, 0.1, 0.11, 0.1, 0.09, 0.1, 0.12], -9.0),
    ]
    assert choose(rows)["confidence"] == 0.35


def test_thresholds_step_by_a_fortieth() -> None:
    assert THRESHOLDS[0] == 0.1 and THRESHOLDS[-1] == 0.8 and len(THRESHOLDS) == 29
    assert all(isinstance(t, float) for t in THRESHOLDS)
