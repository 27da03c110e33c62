"""mAP, precision, recall and per-photo count error from detections and ground-truth boxes.

Matching follows Ultralytics' validator (greedy by confidence, each ground-truth box claimed
once per IoU threshold 0.50:0.05:0.95) and the averaging is Ultralytics' own
``ap_per_class``, so figures compare with ``yolo val`` on the same boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.boxes import box_iou

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def match(pred: np.ndarray, conf: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Which predictions (N×10 bool) are true positives at each IoU threshold (one class)."""
    correct = np.zeros((len(pred), len(IOU_THRESHOLDS)), dtype=bool)
    if len(pred) == 0 or len(truth) == 0:
        return correct
    order = np.argsort(-conf, kind="stable")
    iou = box_iou(truth, pred[order])
    claimed = np.zeros((len(truth), len(IOU_THRESHOLDS)), dtype=bool)
    for j in range(len(order)):
        available = np.where(claimed, 0.0, iou[:, j, None])
        best = available.argmax(0)
        hit = available[best, range(len(IOU_THRESHOLDS))] >= IOU_THRESHOLDS
        correct[order[j]] = hit
        claimed[best, range(len(IOU_THRESHOLDS))] |= hit
    return correct


@dataclass
class DetectionScore:
    """Accumulates per-image results; :meth:`summary` gives the reported figures."""

    operating_conf: float
    _tp: list[np.ndarray] = field(default_factory=list)
    _conf: list[np.ndarray] = field(default_factory=list)
    _n_truth: int = 0
    counts: list[tuple[int, int]] = field(default_factory=list)  # (predicted, true) per image

    def add(self, pred: np.ndarray, conf: np.ndarray, truth: np.ndarray) -> None:
        pred = np.asarray(pred, np.float32).reshape(-1, 4)
        conf = np.asarray(conf, np.float32).reshape(-1)
        truth = np.asarray(truth, np.float32).reshape(-1, 4)
        self._tp.append(match(pred, conf, truth))
        self._conf.append(conf)
        self._n_truth += len(truth)
        self.counts.append((int((conf >= self.operating_conf).sum()), len(truth)))

    def summary(self) -> dict[str, float]:
        from ultralytics.utils.metrics import ap_per_class

        images = len(self.counts)
        tp = np.concatenate(self._tp) if self._tp else np.zeros((0, 10), bool)
        conf = np.concatenate(self._conf) if self._conf else np.zeros(0, np.float32)
        out = {"map50": 0.0, "map50_95": 0.0, "precision": 0.0, "recall": 0.0}
        if self._n_truth and len(conf):
            result = ap_per_class(
                tp, conf, np.zeros(len(conf)), np.zeros(self._n_truth), names={0: "object"}
            )
            p, r, ap = result[2], result[3], result[5]
            out = {
                "map50": float(ap[:, 0].mean()),
                "map50_95": float(ap.mean()),
                "precision": float(p.mean()),
                "recall": float(r.mean()),
            }
        predicted = np.array([c[0] for c in self.counts], np.float64)
        true = np.array([c[1] for c in self.counts], np.float64)
        errors = np.abs(predicted - true)
        with_objects = true > 0
        out["count_mae"] = float(errors.mean()) if images else 0.0
        out["count_mape"] = (
            float((errors[with_objects] / true[with_objects]).mean() * 100)
            if with_objects.any()
            else 0.0
        )
        out["count_bias"] = float((predicted - true).mean()) if images else 0.0
        out["images"] = images
        out["objects"] = self._n_truth
        return out
