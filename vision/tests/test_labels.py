"""Detector classes and camera states are shown as people say them; records keep the codes."""

from __future__ import annotations

from django.utils import translation

from vision.labels import health_label
from vocabulary.detector_classes import class_label


def test_known_classes_and_states_read_in_chinese():
    with translation.override("zh-hans"):
        assert [class_label(c) for c in ("aphid", "white_spot", "red_ulcer")] == [
            "蚜虫",
            "白点病",
            "赤皮溃疡",
        ]
        assert health_label("running") == "运行中"


def test_a_class_a_model_brings_that_we_do_not_know_is_shown_as_named():
    with translation.override("zh-hans"):
        assert class_label("稻纵卷叶螟") == "稻纵卷叶螟"
        assert class_label("leaf_roller") == "leaf_roller"
