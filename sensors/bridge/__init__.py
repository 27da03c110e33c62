"""The MQTT bridge: network-server events in, validated readings out to InfluxDB.

Stages, each in its own module:

* ``events`` — parse ChirpStack v4 and The Things Stack v3 messages into ``Uplink``;
* ``pipeline`` — device lookup (in-memory directory), de-duplication, decoding,
  calibration, plausibility, derived metrics, line protocol, dead letters;
* ``spool`` / ``writer`` — batched InfluxDB writes with a durable disk spool;
* ``mqtt`` — the one MQTT client: QoS 1, persistent session, share-group membership;
* ``runner`` — the loop: batches the inbox, writes it, acks only after a batch is
  written or spooled and its dead letters are saved (``deadletters``), then hands the
  readings to the hook (``hooks``, with its backlog while the hook's database is away);
* ``metrics`` — counters, a periodic log line, ``/metrics`` and a JSON status file.

The alert engine plugs in through ``BridgeConfig.on_readings``: a callable taking
the list of ``ReadingEvent`` of one batch, called once per batch after the batch
is durable (see ``vocabulary.events.ReadingEvent``).
"""
