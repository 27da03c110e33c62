"""A minimal MQTT 3.1.1 QoS 1 publisher for load bursts.

A load generator must cost far less than the system it loads. paho-mqtt spends about
50 µs of Python per QoS 1 publish (message objects, locks, a wake-up byte per
message), which on a small machine takes the cores the bridge is being measured on.
This publisher writes PUBLISH packets straight to the socket in batches and counts
PUBACKs on a reader thread: a few µs per message. It speaks only what a burst needs
(plain TCP, optional username/password, clean session, QoS 1) — the bridge and the
real-time simulator keep using paho.
"""

from __future__ import annotations

import socket
import struct
import threading
import time


class BrokerError(RuntimeError):
    """The broker refused the connection or closed it."""


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def connect_packet(client_id: str, username: str | None, password: str | None) -> bytes:
    flags = 0x02  # clean session
    payload = _string(client_id.encode())
    if username is not None:
        flags |= 0x80
        payload += _string(username.encode())
        if password is not None:
            flags |= 0x40
            payload += _string(password.encode())
    variable = _string(b"MQTT") + bytes([4, flags]) + struct.pack("!H", 60)
    body = variable + payload
    return b"\x10" + _remaining_length(len(body)) + body


def publish_packet(topic: bytes, packet_id: int, payload: bytes) -> bytes:
    """PUBLISH, QoS 1, not retained."""
    length = 2 + len(topic) + 2 + len(payload)
    return b"".join(
        (b"\x32", _remaining_length(length), _string(topic), struct.pack("!H", packet_id), payload)
    )


class BurstPublisher:
    """Publish QoS 1 messages as fast as asked; ``acked`` counts the broker's PUBACKs."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        window: int = 20_000,
    ) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(connect_packet(client_id, username, password))
        connack = self._read_exact(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise BrokerError(f"connection refused (CONNACK {connack.hex()})")
        self.sock.settimeout(None)
        self.window = window  # unacknowledged messages allowed in flight
        self.sent = 0
        self.acked = 0
        self.error: str | None = None
        self._next_id = 0
        self._pending: list[bytes] = []
        self._reader = threading.Thread(target=self._read_acks, name="puback", daemon=True)
        self._reader.start()

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise BrokerError("broker closed the connection")
            data += chunk
        return data

    def _read_acks(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.error = self.error or "broker closed the connection"
                    return
                buf += chunk
                # Only PUBACKs (4 bytes each) arrive on a publish-only session.
                whole = len(buf) - len(buf) % 4
                for i in range(0, whole, 4):
                    if buf[i] != 0x40:
                        self.error = f"unexpected packet 0x{buf[i]:02x} from the broker"
                        return
                self.acked += whole // 4
                buf = buf[whole:]
        except OSError as exc:
            self.error = self.error or str(exc)

    def publish(self, topic: str, payload: bytes) -> None:
        """Queue one message; ``flush`` writes the queue in one system call."""
        self._next_id = self._next_id % 65535 + 1
        self._pending.append(publish_packet(topic.encode(), self._next_id, payload))
        self.sent += 1

    def flush(self) -> None:
        if self.error:
            raise BrokerError(self.error)
        while self.sent - self.acked > self.window:  # packet ids must not wrap onto live ones
            time.sleep(0.001)
            if self.error:
                raise BrokerError(self.error)
        if self._pending:
            self.sock.sendall(b"".join(self._pending))
            self._pending = []

    def wait_acked(self, timeout: float) -> bool:
        self.flush()
        deadline = time.monotonic() + timeout
        while self.acked < self.sent and time.monotonic() < deadline and not self.error:
            time.sleep(0.005)
        return self.acked >= self.sent

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        self.sock.close()
