"""REST API of the traceability app: lots and their EPCIS events, read-only."""
