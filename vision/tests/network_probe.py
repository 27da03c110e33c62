"""Run Ultralytics with every non-loopback network call refused and recorded.

Started as a script by ``test_offline.py``. The audit hook sees each DNS lookup, socket connect
and urllib request before it happens, so a call that Ultralytics would swallow still shows up in
the report printed as the last line of stdout.

    python network_probe.py offline STATE_DIR   # configure_offline, then train + predict
    python network_probe.py bare STATE_DIR      # just import ultralytics, unconfigured
"""

import ipaddress
import json
import os
import sys
from pathlib import Path

ATTEMPTS: list[str] = []
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host)
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" or event == "socket.sendto":
        address = args[1] if event == "socket.connect" else args[-1]
        if isinstance(address, tuple) and not _is_local(address[0]):
            ATTEMPTS.append(f"{event} {address[0]}")
            raise OSError(f"network denied: {event} {address}")
    elif event in {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"}:
        if not _is_local(args[0]):
            ATTEMPTS.append(f"{event} {args[0]}")
            raise OSError(f"network denied: {event} {args[0]}")
    elif event == "urllib.Request":
        ATTEMPTS.append(f"{event} {args[0]}")
        raise OSError(f"network denied: {args[0]}")


def main() -> None:
    mode, state = sys.argv[1], Path(sys.argv[2])
    sys.addaudithook(_audit)
    report: dict = {"mode": mode}
    if mode == "offline":
        from demo.synthetic_scenes import generate_dataset, render_scene
        from vision.offline import configure_offline
        from vision.training import train

        configure_offline(state)
        data = generate_dataset(state / "data", n_train=8, n_val=4, size=(96, 96), seed=3)
        result = train(
            data, "yolo11-pico.yaml", epochs=1, imgsz=96, batch=4, runs_dir=state / "runs"
        )
        import numpy as np
        from ultralytics import YOLO

        image, _ = render_scene(np.random.default_rng(5), "insects", (96, 96))
        predictions = YOLO(str(result.weights_path)).predict(
            [image, image], imgsz=96, verbose=False
        )
        report["weights"] = str(result.weights_path)
        report["predictions"] = len(predictions)
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            report["onnx_predictions"] = None
        else:
            from vision.training import export_onnx

            exported = YOLO(str(export_onnx(result.weights_path, imgsz=96)), task="detect")
            report["onnx_predictions"] = len(exported.predict([image], imgsz=96, verbose=False))
    else:
        os.environ["YOLO_CONFIG_DIR"] = str(state)  # keep the home directory clean
        import ultralytics  # noqa: F401  (the import alone probes the network when unconfigured)
    report["attempts"] = ATTEMPTS
    print(json.dumps(report))


if __name__ == "__main__":
    main()
