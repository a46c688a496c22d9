"""A version built by the other runtime (the emulator restarted with another ``--runtime``).

A process artifact is a directory under ``$NEXUS_HOME/artifacts``, a Docker one an
image reference. When the version serving an environment was built by the other
runtime, its replicas cannot start here: it is built again from its kept source
for this runtime (same revision and label), or the error says why it cannot be.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nexus_emulator.config import EmulatorConfig
from nexus_emulator.runtime.base import BuildFailed, BuildSpec, ReplicaFailed, Runtime
from nexus_emulator.store.db import Store, VersionRow

Emit = Callable[[str], None]


def built_by(ref: str) -> str:
    """Which runtime made an artifact: ``process`` (a directory) or ``docker`` (an image)."""
    return "process" if Path(ref).is_absolute() else "docker"


async def for_runtime(
    config: EmulatorConfig, store: Store, runtime: Runtime, version: VersionRow, emit: Emit
) -> VersionRow:
    """``version`` itself when this runtime built it; else rebuilt here and stored."""
    other = built_by(version.artifact)
    if other == runtime.name:
        return version
    name = f"{version.agent} {version.label} (r{version.revision})"
    src = config.paths.builds / "src" / f"{version.agent}-r{version.revision}"
    again = f"deploy it again (nexus ai agent deploy {version.agent}) or restart the "
    again += f"emulator with --runtime {other}"
    if version.source != "build" or not src.is_dir():
        what = "is a prebuilt image" if version.source != "build" else "has no kept source"
        raise ReplicaFailed(
            f"{name} was built for the {other} runtime and {what}, so this emulator's "
            f"{runtime.name} runtime cannot run it: {again}"
        )
    emit(f"{name} was built for the {other} runtime: building it for {runtime.name}")
    spec = version.spec
    try:
        artifact = await runtime.build(
            BuildSpec(
                agent=version.agent,
                revision=version.revision,
                source_dir=src,
                entrypoint=str(spec.get("entrypoint") or ""),
                dependencies=list(spec.get("dependencies") or []),
                python=spec.get("python"),
            ),
            emit,
        )
    except BuildFailed as exc:
        raise ReplicaFailed(
            f"{name} was built for the {other} runtime and building it for {runtime.name} "
            f"failed: {exc.message}; {again}",
            exc.tail,
        ) from None
    store.set_artifact(
        version.agent, version.revision, artifact.ref, artifact.digest, artifact.base
    )
    rebuilt = store.version(version.agent, version.revision)
    assert rebuilt is not None
    return rebuilt
