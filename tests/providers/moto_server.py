"""moto in server mode on loopback for the agentcore tests: ``python moto_server.py PORT``.

One gap of moto 5.2 is filled before it starts: an updated agent runtime or
endpoint stays ``UPDATING`` forever there, where AgentCore moves it to
``READY`` (and the endpoint's live version to its target) once the update is
done. The progression itself stays moto's (its state-manager API decides
after how many reads).
"""

from __future__ import annotations

import sys
from typing import Any


def fill_gaps() -> None:
    from moto.bedrockagentcorecontrol import models

    for cls in (models.AgentRuntime, models.AgentRuntimeEndpoint):
        original = cls.update

        def update(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            self._transitions = [("UPDATING", "READY")]
            if hasattr(self, "live_version"):
                self.live_version = self.target_version

        cls.update = update  # type: ignore[method-assign,unused-ignore]


if __name__ == "__main__":
    fill_gaps()
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
