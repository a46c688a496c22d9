"""The emulator's HTTP API as data: wire models, request bodies and error codes.

A neutral package: the emulator (server side), the providers and the CLI
(client side) import their shapes from here, and it imports neither of them.
It sits above the agent SDK (``nexus``) and below everything else.
"""
