"""A minimal Nexus provider plugin (a test fixture)."""
