"""``python -m nexus_cli`` runs the ``nexus`` command."""

from nexus_cli.main import run

if __name__ == "__main__":
    run()
