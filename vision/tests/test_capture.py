from __future__ import annotations

import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from demo.synthetic_scenes import synthetic_video
from vision.capture import Backoff, CaptureError, SnapshotSource, VideoSource, decode_image


def _jpeg() -> bytes:
    image = np.full((40, 60, 3), 120, np.uint8)
    cv2.circle(image, (30, 20), 10, (0, 0, 255), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()


def test_whole_jpeg_decodes_to_bgr():
    image = decode_image(_jpeg())
    assert image.shape == (40, 60, 3)


def test_truncated_jpeg_is_refused():
    data = _jpeg()
    with pytest.raises(CaptureError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_non_image_bytes_are_refused():
    with pytest.raises(CaptureError, match="not a decodable image"):
        decode_image(b"%PDF-1.4 not a photo")


def test_oversized_image_is_refused():
    with pytest.raises(CaptureError, match="exceeds"):
        decode_image(_jpeg(), max_pixels=1000)


def test_video_file_yields_every_frame_with_its_time(tmp_path):
    clip = synthetic_video(tmp_path / "c.avi", n_objects=1, n_frames=20, crossing_frames=10)
    frames = list(VideoSource(clip.path))
    assert len(frames) == 20
    assert frames[10][0] == pytest.approx(1.0, abs=0.05)  # 10 fps


def test_missing_video_file_is_a_capture_error(tmp_path):
    with pytest.raises(CaptureError, match="not found"):
        list(VideoSource(tmp_path / "nope.avi"))


def test_unreachable_stream_gives_up_after_its_retries():
    # Port 9 on loopback: nothing listens, so every open fails at once.
    source = VideoSource(
        "rtsp://127.0.0.1:9/cam",
        backoff=Backoff(initial=0.01, maximum=0.02, max_retries=2),
        open_timeout_ms=2000,
    )
    with pytest.raises(CaptureError, match="after 2 reconnect attempts"):
        list(source)


def test_stopping_a_stream_ends_its_back_off():
    stop = threading.Event()
    stop.set()
    source = VideoSource("rtsp://127.0.0.1:9/cam", backoff=Backoff(initial=60), stop=stop)
    assert list(source) == []


def test_backoff_doubles_up_to_its_maximum():
    backoff = Backoff(initial=1, maximum=5)
    assert [backoff.delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


class _SnapshotCamera(ThreadingHTTPServer):
    """A loopback HTTP camera serving the given bodies in turn, then the last one forever."""

    def __init__(self, bodies: list[bytes]):
        bodies = list(bodies)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.server_address[1]}/snapshot.jpg"

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def test_snapshot_camera_skips_a_truncated_photo_and_counts_the_error():
    good = _jpeg()
    with _SnapshotCamera([good, good[:200], b"<html>login</html>", good]) as url:
        source = SnapshotSource(url, interval=0)
        images = list(itertools.islice(source, 2))
    assert [img.shape for _, img in images] == [(40, 60, 3), (40, 60, 3)]
    assert source.errors == 2
    assert "not a decodable image" in source.last_error


def test_unreachable_snapshot_camera_gives_up_after_its_retries():
    source = SnapshotSource(
        "http://127.0.0.1:9/snapshot.jpg", backoff=Backoff(initial=0.01, max_retries=2)
    )
    with pytest.raises(CaptureError, match="after 2 retries"):
        list(source)


class _DroppingMjpegCamera(ThreadingHTTPServer):
    """An MJPEG-over-HTTP camera that sends a few frames per connection, then goes down."""

    def __init__(self, frames_per_connection: int, connections: int):
        jpeg = _jpeg()
        served = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                served.append(1)
                if len(served) > connections:
                    self.send_error(503, "camera offline")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                for _ in range(frames_per_connection):
                    self.wfile.write(part % len(jpeg) + jpeg + b"\r\n")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.server_address[1]}/stream.mjpg"

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def test_dropping_stream_is_reopened_until_it_stays_down():
    frames = []
    with _DroppingMjpegCamera(frames_per_connection=4, connections=2) as url:
        source = VideoSource(url, backoff=Backoff(initial=0.01, max_retries=2))
        with pytest.raises(CaptureError, match="after 2 reconnect attempts"):
            for _, image in source:
                frames.append(image.shape)
    assert frames == [(40, 60, 3)] * 8
    assert source.reconnects == 2


def test_a_looped_video_file_replays_at_its_frame_rate_with_growing_timestamps(tmp_path):
    clip = synthetic_video(tmp_path / "c.avi", n_objects=1, n_frames=5, crossing_frames=5)
    started = time.monotonic()
    frames = list(itertools.islice(VideoSource(clip.path, loop=True), 12))
    elapsed = time.monotonic() - started
    stamps = [ts for ts, _ in frames]
    assert stamps == sorted(stamps)
    assert stamps[11] == pytest.approx(1.1, abs=0.02)  # 10 fps, across two replays
    assert elapsed >= 1.0  # paced like a live camera, not read as fast as possible


def test_a_looped_file_that_has_no_frames_ends_instead_of_spinning(tmp_path):
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    with pytest.raises(CaptureError):
        list(VideoSource(empty, loop=True))


def test_a_header_declaring_a_huge_picture_is_refused_before_decoding():
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    png = b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(chunk[4:]))
    with pytest.raises(CaptureError, match="60000x60000 exceeds"):
        decode_image(png + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_jpeg_header_gives_the_size_without_decoding():
    from vision.capture import _declared_size

    assert _declared_size(_jpeg()) == (60, 40)
