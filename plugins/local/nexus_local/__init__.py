"""The ``local`` provider: the CLI's operations over HTTP to the local emulator."""
