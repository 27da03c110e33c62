"""Models of the vision app."""
