"""The MQTT bridge: network-server events in, validated readings out to InfluxDB.

Stages, each in its own module:

* ``events`` — parse ChirpStack v4 and The Things Stack v3 messages into ``Uplink``;
* ``pipeline`` — device lookup (in-memory directory), de-duplication, decoding,
  calibration, plausibility, derived metrics, line protocol, dead letters;
* ``spool`` / ``writer`` — batched InfluxDB writes with a durable disk spool;
* ``mqtt`` — the one MQTT client: QoS 1, persistent session, manual acks sent
  only after a batch is written or spooled;
* ``metrics`` — counters, a periodic log line, ``/metrics`` and a JSON status file.

The alert engine plugs in through ``BridgeConfig.on_readings``: a callable taking
the list of ``ReadingEvent`` of one batch, called once per batch after the batch
is durable (see ``pipeline.ReadingEvent``).
"""
