from __future__ import annotations

import pytest
import torch

from vision.device import select_device


@pytest.mark.skipif(torch.cuda.is_available(), reason="this box has a GPU")
def test_cpu_is_chosen_in_full_precision_without_a_gpu(caplog):
    with caplog.at_level("INFO", logger="vision.device"):
        choice = select_device()
    assert (choice.device, choice.half) == ("cpu", False)
    assert "vision inference on cpu" in caplog.text


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_is_chosen_in_half_precision_when_present():
    choice = select_device()
    assert choice.device.startswith("cuda") and choice.half


def test_cpu_can_be_forced():
    assert select_device("cpu").device == "cpu"


def test_unknown_device_name_is_refused():
    with pytest.raises(ValueError):
        select_device("tpu")
