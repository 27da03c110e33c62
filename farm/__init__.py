"""The shared farm domain: organisations, farms, sites, access rules and the farm pages."""
