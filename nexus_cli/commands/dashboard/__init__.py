"""``nexus ai dashboard``."""
