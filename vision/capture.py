"""Frame sources: video files and streams through OpenCV (with reconnect), still images, iterables.

Every source yields ``(timestamp, image)`` with a BGR ``uint8`` image. Files are read to the end
once, or with ``loop`` replayed without end at their own frame rate; streams (``rtsp://``,
``http(s)://`` MJPEG) are reopened with exponential back-off when they fail or drop, and give up
with :class:`CaptureError` after ``max_retries`` failed reopenings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
_JPEG_START, _JPEG_END = b"\xff\xd8", b"\xff\xd9"


class CaptureError(RuntimeError):
    """A camera's source cannot be opened or read."""


def decode_image(data: bytes, max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode an uploaded or fetched photo, refusing what is not a whole image.

    OpenCV decodes a truncated JPEG without complaint (the missing part turns grey), so the end
    marker is checked first; a trap count on half a photo would be silently wrong.
    """
    if not data:
        raise CaptureError("empty image")
    if data[:2] == _JPEG_START and not data.rstrip(b"\x00").endswith(_JPEG_END):
        raise CaptureError(f"truncated JPEG ({len(data)} bytes, no end marker)")
    declared = _declared_size(data)
    if declared and declared[0] * declared[1] > max_pixels:
        # Refused before decoding: a few kB can declare a picture of gigabytes.
        raise CaptureError(f"image {declared[0]}x{declared[1]} exceeds {max_pixels} pixels")
    buf = np.frombuffer(data, np.uint8)
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if image is None:
        raise CaptureError(f"not a decodable image ({len(data)} bytes)")
    if image.shape[0] * image.shape[1] > max_pixels:
        raise CaptureError(f"image {image.shape[1]}x{image.shape[0]} exceeds {max_pixels} pixels")
    return image


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG or JPEG header alone; None when there is no such header.

    Read by hand: Pillow's ``Image.open`` is patched by Ultralytics to install plugins.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] != _JPEG_START:
        return None
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + length
    return None


def is_stream(source: str | Path) -> bool:
    return str(source).lower().startswith(STREAM_SCHEMES)


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``initial`` doubling up to ``maximum``; ``max_retries=None`` is forever."""

    initial: float = 1.0
    maximum: float = 30.0
    max_retries: int | None = None

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * (2 ** max(0, attempt - 1)))


class VideoSource:
    """An OpenCV ``VideoCapture`` (FFmpeg backend) over a file or a stream URL.

    A file with ``loop`` stands in for a live camera (demos, soak tests): it is replayed from the
    start when it ends and paced at its own frame rate, its timestamps growing across replays so
    tracking and counting windows see one continuous clock.
    """

    def __init__(
        self,
        source: str | Path,
        backoff: Backoff | None = None,
        stop: threading.Event | None = None,
        open_timeout_ms: int = 10_000,
        loop: bool = False,
    ):
        self.source = str(source)
        self.stream = is_stream(source)
        self.loop = loop and not self.stream
        self.backoff = backoff or Backoff()
        self.stop = stop or threading.Event()
        self.open_timeout_ms = open_timeout_ms
        self.reconnects = 0
        self.fps = 0.0

    def _open(self) -> cv2.VideoCapture:
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.open_timeout_ms]
        if self.stream:
            params += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.open_timeout_ms]
        capture = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            raise CaptureError(f"cannot open {self.source}")
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        return capture

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if not self.stream and not Path(self.source).is_file():
            raise CaptureError(f"video file not found: {self.source}")
        failures = 0
        offset = 0.0  # seconds of the file already replayed, with ``loop``
        started = time.monotonic()
        while not self.stop.is_set():
            try:
                capture = self._open()
            except CaptureError:
                if not self.stream:
                    raise
                failures += 1
                if self.backoff.max_retries is not None and failures > self.backoff.max_retries:
                    raise CaptureError(
                        f"{self.source} unreachable after {failures - 1} reconnect attempts"
                    ) from None
                delay = self.backoff.delay(failures)
                log.warning("%s unreachable, retry %d in %.1fs", self.source, failures, delay)
                self.stop.wait(delay)
                continue
            frames = 0
            position = 0.0
            try:
                while not self.stop.is_set():
                    ok, image = capture.read()
                    if not ok:
                        break
                    frames += 1
                    if self.stream:
                        yield time.time(), image
                        continue
                    position = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    if self.loop:
                        due = started + offset + position - time.monotonic()
                        if self.stop.wait(max(0.0, due)):
                            break  # stopped while pacing: the frame would count as captured
                    yield offset + position, image
            finally:
                capture.release()
            if not self.stream:
                if not self.loop or not frames:
                    return
                offset += position + 1.0 / (self.fps or 10.0)
                continue
            if frames:
                failures = 0  # the stream worked for a while: start the back-off afresh
            self.reconnects += 1
            log.warning("%s dropped after %d frames, reconnecting", self.source, frames)


class SnapshotSource:
    """Polls an HTTP snapshot URL (trap and still cameras) every ``interval`` seconds.

    A bad photo (truncated, not an image, too large) is counted in ``errors`` and skipped; an
    unreachable camera backs off like a stream and gives up after ``backoff.max_retries``.
    """

    def __init__(
        self,
        url: str,
        interval: float = 60.0,
        backoff: Backoff | None = None,
        stop: threading.Event | None = None,
        timeout: float = 10.0,
        max_bytes: int = 20_000_000,
    ):
        self.url = url
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.stop = stop or threading.Event()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.errors = 0
        self.last_error = ""
        self.reconnects = 0

    def _fetch(self) -> bytes:
        import requests

        try:
            with requests.get(self.url, timeout=self.timeout, stream=True) as response:
                response.raise_for_status()
                data = response.raw.read(self.max_bytes + 1, decode_content=True)
        except requests.RequestException as exc:
            raise ConnectionError(f"{self.url}: {exc}") from exc
        if len(data) > self.max_bytes:
            raise CaptureError(f"snapshot larger than {self.max_bytes} bytes")
        return data

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        failures = 0
        while not self.stop.is_set():
            try:
                data = self._fetch()
            except ConnectionError as exc:
                failures += 1
                if self.backoff.max_retries is not None and failures > self.backoff.max_retries:
                    raise CaptureError(
                        f"{self.url} unreachable after {failures - 1} retries: {exc}"
                    ) from None
                self.reconnects += 1
                self.stop.wait(self.backoff.delay(failures))
                continue
            except CaptureError as exc:
                data, failures = b"", 0
                self.errors += 1
                self.last_error = str(exc)
            else:
                failures = 0
            if data:
                try:
                    image = decode_image(data)
                except CaptureError as exc:
                    self.errors += 1
                    self.last_error = str(exc)
                    log.warning("%s: %s", self.url, exc)
                else:
                    yield time.time(), image
            self.stop.wait(self.interval)


def timed_frames(
    images: Iterable[np.ndarray], fps: float = 10.0
) -> Iterator[tuple[float, np.ndarray]]:
    """Stamp an iterable of frames at ``fps``, for replayed or generated sequences."""
    for index, image in enumerate(images):
        yield index / fps, image


def open_source(
    source,
    backoff: Backoff | None = None,
    stop: threading.Event | None = None,
    snapshot_interval: float | None = None,
    fps: float = 10.0,
    loop: bool = False,
):
    """A ``(timestamp, image)`` iterable for a path, URL or iterable of images.

    An ``http(s)`` URL is polled as still snapshots when ``snapshot_interval`` is given, and read
    as an MJPEG stream otherwise. ``loop`` replays a video file without end.
    """
    if isinstance(source, str | Path):
        text = str(source)
        if snapshot_interval is not None and text.lower().startswith(("http://", "https://")):
            return SnapshotSource(text, snapshot_interval, backoff=backoff, stop=stop)
        return VideoSource(source, backoff=backoff, stop=stop, loop=loop)
    return timed_frames(source, fps)
