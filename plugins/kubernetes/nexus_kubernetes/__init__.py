"""The ``kubernetes`` provider: agents as Deployments, applied with server-side apply."""
