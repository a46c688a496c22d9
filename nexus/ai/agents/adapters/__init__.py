"""Framework adapters: serve an agent built with another framework as a Nexus agent.

Each adapter imports its framework only when used, so the SDK keeps no
dependency of its own: the framework comes from the project's dependencies.
"""
