"""Shared by the remote providers that ship agent images (swarm, agentcore, kubernetes).

It sits at the providers' level: it may import the provider contract
(``nexus_cli.providers.base``) and the emulator's image builder, and neither
the CLI core nor the emulator imports it.
"""
