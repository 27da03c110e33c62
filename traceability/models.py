"""Models of the traceability app."""
