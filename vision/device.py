"""Choose where inference runs: the first CUDA GPU in half precision, else the CPU."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceChoice:
    """A torch device string and whether to run the model in FP16 on it."""

    device: str
    half: bool
    name: str


def select_device(preferred: str = "auto") -> DeviceChoice:
    """Pick the device once at start and log it, so a slow CPU fallback is never silent.

    ``preferred`` is ``"auto"``, ``"cpu"`` or a CUDA device such as ``"cuda:1"``. Half precision is
    used only on CUDA: CPU kernels for FP16 convolutions are slower than FP32, or missing.
    """
    if preferred not in ("auto", "cpu") and not preferred.startswith("cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {preferred!r}")
    if preferred != "cpu" and torch.cuda.is_available():
        device = "cuda:0" if preferred in ("auto", "cuda") else preferred
        choice = DeviceChoice(device=device, half=True, name=torch.cuda.get_device_name(device))
    else:
        if preferred.startswith("cuda"):
            log.warning("device %s requested but CUDA is not available; using the CPU", preferred)
        choice = DeviceChoice(device="cpu", half=False, name=f"cpu x{torch.get_num_threads()}")
    log.info(
        "vision inference on %s (%s), half precision %s",
        choice.device,
        choice.name,
        "on" if choice.half else "off",
    )
    return choice
