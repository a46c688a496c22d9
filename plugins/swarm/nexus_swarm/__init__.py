"""The ``swarm`` provider: each agent environment is a Docker Swarm service."""
