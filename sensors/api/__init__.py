"""REST API of the sensors app: devices with their latest readings, readings over time."""
