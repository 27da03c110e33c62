"""An append-only, fsynced disk spool of line-protocol batches, replayed in order.

Layout: ``spool.lp`` holds records ``#<n>\\n<n bytes>\\n``; ``replayed`` holds
the byte offset up to which records have been written to InfluxDB. A record
is appended and fsynced before the MQTT messages it came from are acked. A
crash between an InfluxDB write and the offset update replays that record
again, which is harmless: every point carries the uplink's own timestamp, so
InfluxDB overwrites it with itself. A record torn by a crash mid-append was
never acked; it is cut off at open and its messages come again from the broker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "spool.lp"
        self.offset_path = directory / "replayed"
        self._file = open(self.path, "ab")  # noqa: SIM115 - held open for the process lifetime
        self.replayed = self._read_offset()
        self._cut_torn_tail()

    def _read_offset(self) -> int:
        try:
            return int(self.offset_path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _cut_torn_tail(self) -> None:
        good = self.replayed
        for _, end in self._records(self.replayed):
            good = end
        if good < self.size:
            self._file.truncate(good)
            self._file.flush()
            os.fsync(self._file.fileno())

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def pending(self) -> bool:
        return self.size > self.replayed

    def append(self, body: bytes) -> None:
        self._file.write(b"#%d\n" % len(body) + body + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _records(self, start: int) -> Iterator[tuple[bytes, int]]:
        with open(self.path, "rb") as f:
            f.seek(start)
            pos = start
            while True:
                header = f.readline()
                if not header.startswith(b"#") or not header.endswith(b"\n"):
                    return
                try:
                    n = int(header[1:-1])
                except ValueError:
                    return
                body = f.read(n + 1)
                if len(body) != n + 1 or not body.endswith(b"\n"):
                    return
                pos += len(header) + n + 1
                yield body[:-1], pos

    def chunks(self, max_bytes: int = 4 << 20) -> Iterator[tuple[bytes, int]]:
        """Pending records joined into chunks: (line protocol, offset after the chunk)."""
        parts: list[bytes] = []
        size = 0
        end = self.replayed
        for body, end in self._records(self.replayed):
            parts.append(body)
            size += len(body)
            if size >= max_bytes:
                yield b"\n".join(parts), end
                parts, size = [], 0
        if parts:
            yield b"\n".join(parts), end

    def mark_replayed(self, offset: int) -> None:
        """Record progress; once everything is replayed, start a fresh file."""
        if offset >= self.size:
            self._file.truncate(0)
            self._file.flush()
            os.fsync(self._file.fileno())
            offset = 0
        tmp = self.offset_path.with_suffix(".tmp")
        tmp.write_text(str(offset))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.offset_path)
        self.replayed = offset

    def close(self) -> None:
        self._file.close()
