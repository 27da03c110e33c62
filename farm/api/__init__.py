"""REST API of the farm domain: regions, organisations, farms, sites, plots and ponds."""
