"""The Textual dashboard (``nexus ai dashboard``). Imported only by that command."""
