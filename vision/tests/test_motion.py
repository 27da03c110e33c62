from __future__ import annotations

import numpy as np
import pytest

from demo.synthetic_scenes import clip_frames
from vision.motion import MotionConfig, MotionGate


def _scene(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, (120, 160, 3), dtype=np.uint8)


def _noisy(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.integers(-3, 4, frame.shape)
    return np.clip(frame.astype(int) + noise, 0, 255).astype(np.uint8)


def test_first_frame_passes_so_objects_present_at_start_are_seen():
    gate = MotionGate()
    assert gate.check(_scene()).moved


def test_static_noisy_scene_is_gated_out():
    gate = MotionGate()
    rng = np.random.default_rng(1)
    base = _scene()
    results = [gate.check(_noisy(base, rng)).moved for _ in range(30)]
    assert results[0] and not any(results[1:])
    assert gate.calls_saved == 29


def test_moving_object_passes_with_a_region_around_it():
    gate = MotionGate()
    base = _scene()
    gate.check(base)
    frame = base.copy()
    frame[40:60, 100:130] = 250
    result = gate.check(frame)
    assert result.moved
    x0, y0, x1, y1 = max(result.regions, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
    assert x0 <= 100 and y0 <= 40 and x1 >= 128 and y1 >= 58


def test_motion_outside_the_region_of_interest_is_ignored():
    gate = MotionGate(roi=[(0.0, 0.0, 0.5, 1.0)])
    base = _scene()
    gate.check(base)
    frame = base.copy()
    frame[40:60, 100:130] = 250  # right half
    assert not gate.check(frame).moved


def test_gate_saves_most_calls_on_a_mostly_static_clip():
    clip, frames = clip_frames(n_objects=2, n_frames=200, crossing_frames=16)
    gate = MotionGate()
    moved = [gate.check(frame).moved for frame in frames]
    for crossing in clip.crossings:
        assert all(moved[crossing.first_frame + 1 : crossing.last_frame + 1])
    assert gate.frames_seen / gate.frames_passed >= 4


def test_even_blur_kernel_is_refused():
    with pytest.raises(ValueError):
        MotionConfig(blur=4)
