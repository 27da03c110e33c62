"""Demo seeding and simulators, kept apart from the product apps.

Seeding: ``farm`` (organisations, farms, people), ``traceability`` (lots), ``vision``
(cameras on the shipped models), ``alerts`` (policies, contact profiles), ``aeration``
(aerators). Simulators: ``fleet`` (soil and water nodes speaking ChirpStack v4) with its
``burst_publisher`` (raw QoS 1 bursts, also used by the ingestion bench and the failover
tests), ``relays`` (relay controllers answering commands). ``synthetic_scenes`` draws
generated trap and fish scenes for the vision tests and bench. Management commands keep
their names: ``seed_demo``, ``seed_trace_demo``, ``seed_vision_demo``, ``seed_aerators``,
``simulate_fleet``, ``simulate_relays``.
"""
