"""The shared farm domain."""

from farm.models.geo import Region
from farm.models.org import Membership, Organisation, Role
from farm.models.sites import Farm, Plot, Pond, Site

__all__ = ["Farm", "Membership", "Organisation", "Plot", "Pond", "Region", "Role", "Site"]
