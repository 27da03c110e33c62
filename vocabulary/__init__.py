"""The shared vocabulary of the apps: the metric catalogue and the events they exchange.

A plain package below every app: it imports nothing of the project, so any app,
the bridge, the workers and the benchmarks may import it.
"""
