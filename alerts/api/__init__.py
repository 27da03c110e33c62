"""REST API of the alerts app: incidents, their history, and acknowledging them."""
