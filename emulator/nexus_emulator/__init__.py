"""The Nexus local emulator: hosts agents and emulates the platform around them."""

__version__ = "0.1.0"
