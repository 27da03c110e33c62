"""A minimal MQTT 3.1.1 QoS 1 publisher for load bursts that rides out broker restarts.

A load generator must cost far less than the system it loads. paho-mqtt spends about
50 µs of Python per QoS 1 publish (message objects, locks, a wake-up byte per
message), which on a small machine takes the cores the bridge is being measured on.
This publisher writes PUBLISH packets straight to the socket in batches and matches
PUBACKs on a reader thread: a few µs per message. It speaks only what a burst needs
(plain TCP, optional username/password, clean session, QoS 1) — the bridge and the
real-time simulator keep using paho.

Like a network server's MQTT integration, it never gives up on a dropped connection:
it reconnects with back-off and sends every message the broker has not acknowledged
again (DUP set), in the original order. A message can therefore arrive twice; the
bridge de-duplicates by (DevEUI, frame counter).
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time

log = logging.getLogger(__name__)

PUBACK = 0x40
PINGRESP = 0xD0
# CONNACK return codes that no retry can fix: protocol version, client id, credentials.
REFUSED_FOR_GOOD = {1, 2, 4, 5}


class BrokerError(RuntimeError):
    """The broker refused the connection (bad credentials, client id) or spoke out of turn."""


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
    """Publish QoS 1 messages as fast as asked; ``acked`` counts messages the broker acknowledged.

    ``window`` bounds the messages in flight (sent, not yet acknowledged): packet ids
    must not wrap onto live ones, and they are what is resent after a reconnect.
    """

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        window: int = 20_000,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.address = (host, port)
        self.client_id = client_id
        self.username = username
        self.password = password
        self.window = min(window, 60_000)
        self.max_backoff_s = max_backoff_s
        self.sent = 0
        self.acked = 0
        self.resent = 0
        self.reconnects = 0
        self._next_id = 0
        self._pending: list[bytes] = []  # written on the next flush
        self._unacked: dict[int, bytes] = {}  # packet id -> PUBLISH, in send order
        self._broken: str | None = None
        self._closing = False
        self._last_write = time.monotonic()
        self.sock = self._connect()  # the first connection fails fast: a wrong address is a bug
        self._start_reader()

    # -- connection

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=10)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(connect_packet(self.client_id, self.username, self.password))
            connack = self._read_exact(sock, 4)
        except BaseException:
            sock.close()
            raise
        if connack[0] != 0x20 or connack[3] != 0:
            sock.close()
            code = connack[3] if len(connack) == 4 else -1
            if code in REFUSED_FOR_GOOD:
                raise BrokerError(f"connection refused (CONNACK {connack.hex()})")
            raise OSError(f"broker not ready (CONNACK {connack.hex()})")
        sock.settimeout(None)
        return sock

    @staticmethod
    def _read_exact(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise OSError("broker closed the connection")
            data += chunk
        return data

    def _start_reader(self) -> None:
        self._broken = None
        self._reader = threading.Thread(
            target=self._read_acks, args=(self.sock,), name="puback", daemon=True
        )
        self._reader.start()

    def _read_acks(self, sock: socket.socket) -> None:
        buf = b""
        unacked = self._unacked
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    raise OSError("broker closed the connection")
                buf += chunk
                i, end = 0, len(buf)
                while end - i >= 2:
                    kind, length = buf[i], buf[i + 1]
                    if length & 0x80:
                        raise BrokerError(f"unexpected packet 0x{kind:02x} from the broker")
                    if end - i < 2 + length:
                        break
                    if kind == PUBACK and length == 2:
                        if unacked.pop((buf[i + 2] << 8) | buf[i + 3], None) is not None:
                            self.acked += 1
                    elif kind != PINGRESP:
                        raise BrokerError(f"unexpected packet 0x{kind:02x} from the broker")
                    i += 2 + length
                buf = buf[i:]
        except (OSError, BrokerError) as exc:
            if not self._closing:
                self._broken = str(exc) or type(exc).__name__

    def _reconnect(self, deadline: float | None = None) -> bool:
        """Connect again (with back-off) and resend what the broker never acknowledged.

        Returns False only when ``deadline`` passes first.
        """
        log.warning("MQTT connection lost (%s); reconnecting", self._broken)
        try:
            self.sock.close()
        except OSError:
            pass
        self._reader.join(5)
        backoff = 0.1
        while True:
            try:
                self.sock = self._connect()
                break
            except OSError as exc:
                if deadline is not None and time.monotonic() + backoff > deadline:
                    return False
                log.debug("reconnect failed (%s); next try in %.1f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        self.reconnects += 1
        # No reader runs yet: the unacked map is ours. Everything unacked goes again, in
        # order, marked DUP; the pending list is part of it.
        again = [b"\x3a" + packet[1:] for packet in self._unacked.values()]
        self._pending = []
        self.resent += len(again)
        self._start_reader()
        try:
            for i in range(0, len(again), 1000):
                self.sock.sendall(b"".join(again[i : i + 1000]))
        except OSError as exc:
            self._broken = str(exc)
        self._last_write = time.monotonic()
        log.warning("MQTT reconnected; %d unacknowledged messages sent again", len(again))
        return True

    # -- publishing

    def publish(self, topic: str, payload: bytes) -> None:
        """Queue one message; ``flush`` writes the queue in one system call."""
        self._next_id = self._next_id % 65535 + 1
        packet = publish_packet(topic.encode(), self._next_id, payload)
        self._unacked[self._next_id] = packet
        self._pending.append(packet)
        self.sent += 1

    def flush(self) -> None:
        """Write the queued messages; waits while the in-flight window is full."""
        while True:
            if self._broken:
                self._reconnect()
                continue
            if len(self._unacked) - len(self._pending) > self.window:  # in flight
                time.sleep(0.001)
                continue
            if not self._pending:
                if time.monotonic() - self._last_write > 20:
                    self._send(b"\xc0\x00")  # PINGREQ: an idle burst keeps its connection
                return
            data, self._pending = b"".join(self._pending), []
            self._send(data)
            if not self._broken:
                return

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
            self._last_write = time.monotonic()
        except OSError as exc:
            self._broken = str(exc)

    def wait_acked(self, timeout: float) -> bool:
        """Wait until the broker acknowledged everything published, reconnecting if needed."""
        deadline = time.monotonic() + timeout
        self.flush()
        while self._unacked and time.monotonic() < deadline:
            if self._broken and not self._reconnect(deadline):
                break
            time.sleep(0.005)
        return not self._unacked

    def close(self) -> None:
        self._closing = True
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        self.sock.close()
