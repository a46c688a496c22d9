"""``nexus ai emulator token``: print the local admin credential (for curl and scripts)."""

from __future__ import annotations


def token() -> None:
    """Print the emulator's admin token (from $NEXUS_HOME/token, else the OS keyring).

    e.g. curl -H "Authorization: Bearer $(nexus ai emulator token)" ...
    """
    from nexus_cli import output
    from nexus_local import lifecycle

    output.text(lifecycle.Emulator.resolve().token())
