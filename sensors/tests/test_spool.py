"""The disk spool: order kept, progress durable, a torn tail cut off."""

from __future__ import annotations

from sensors.bridge.spool import Spool


def test_records_replay_in_append_order_and_the_file_restarts_when_drained(tmp_path):
    spool = Spool(tmp_path)
    for i in range(5):
        spool.append(b"m f=%di %d" % (i, i))
    chunks = list(spool.chunks(max_bytes=20))
    body = b"\n".join(c for c, _ in chunks)
    assert body.split(b"\n") == [b"m f=%di %d" % (i, i) for i in range(5)]
    spool.mark_replayed(chunks[-1][1])
    assert not spool.pending and spool.size == 0


def test_progress_survives_a_restart(tmp_path):
    spool = Spool(tmp_path)
    spool.append(b"a")
    spool.append(b"b")
    (first, end), *_ = spool.chunks(max_bytes=1)
    spool.mark_replayed(end)
    spool.close()
    again = Spool(tmp_path)
    assert [c for c, _ in again.chunks()] == [b"b"]


def test_a_record_torn_by_a_crash_is_cut_off_at_open(tmp_path):
    spool = Spool(tmp_path)
    spool.append(b"whole")
    spool.close()
    with open(tmp_path / "spool.lp", "ab") as f:
        f.write(b"#100\npartial")
    again = Spool(tmp_path)
    assert [c for c, _ in again.chunks()] == [b"whole"]
    again.append(b"next")
    assert [c for c, _ in again.chunks()] == [b"whole\nnext"]
