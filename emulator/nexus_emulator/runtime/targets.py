"""Which Python an image runs, so its dependencies come as wheels that run there.

The host that builds may differ from the image (macOS, another Python, a newer
glibc): wheels built by the host's pip would then not load in the container.
A Docker build therefore asks the base image once for its Python version,
machine and C library, and downloads binary wheels for exactly that.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROBE = (
    "import json, platform, sys; "
    "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], "
    "'machine': platform.machine(), 'libc': platform.libc_ver()}))"
)


@dataclass(frozen=True)
class WheelTarget:
    python: str  # "3.11"
    machine: str  # "x86_64", "aarch64"
    libc: str  # "glibc", "musl" or ""
    libc_version: str  # "2.36"

    def platforms(self) -> list[str]:
        """pip ``--platform`` tags whose wheels run on this target, newest first."""
        if self.libc != "glibc" or not self.libc_version:
            return [f"musllinux_1_2_{self.machine}", f"musllinux_1_1_{self.machine}"]
        major, minor = (int(x) for x in self.libc_version.split(".")[:2])
        tags = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 16, -1)]
        legacy = ["manylinux2014"] + (
            ["manylinux2010", "manylinux1"] if self.machine in ("x86_64", "i686") else []
        )
        return tags + [f"{name}_{self.machine}" for name in legacy] + [f"linux_{self.machine}"]

    def matches_host(self) -> bool:
        """Whether the host's own pip builds wheels that run on this target."""
        host_libc, host_version = platform.libc_ver()
        return (
            sys.platform == "linux"
            and platform.machine() == self.machine
            and f"{sys.version_info.major}.{sys.version_info.minor}" == self.python
            and host_libc == self.libc
            and _version(host_version) <= _version(self.libc_version)
        )

    def key(self) -> str:
        return f"cp{self.python.replace('.', '')}-{self.machine}-{self.libc}{self.libc_version}"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(".") if x.isdigit()) or (0,)


def image_target(client: Any, image: str, cache_dir: Path) -> WheelTarget:
    """The image's Python, asked once per image id (a short container run) and cached."""
    image_id = str(client.images.get(image).id).split(":")[-1]
    cache = cache_dir / f"{image_id[:24]}.json"
    try:
        return WheelTarget(**json.loads(cache.read_text()))
    except (OSError, ValueError, TypeError):
        pass
    out = client.containers.run(
        image, ["python3", "-c", PROBE], remove=True, network_disabled=True, user="65534"
    )
    data = json.loads(out.decode().strip().splitlines()[-1])
    libc, libc_version = data["libc"]
    target = WheelTarget(data["python"], data["machine"], libc, libc_version)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(target)))
    return target
