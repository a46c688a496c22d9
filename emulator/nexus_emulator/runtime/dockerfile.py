"""Dockerfiles and build contexts for agent images.

An agent image is four layers on a base image, ordered so the layers that
change least come first and a code-only change rebuilds only the code layer:

1. the dependencies: a virtualenv at /opt/venv installed from host-built
   wheels, built once per (base image, dependency list) as its own image
   ``nexus-deps:<key>-<home>``; the wheels never reach a final image (multi-stage);
2. the Nexus SDK (the stdlib-only ``nexus`` package) at /opt/nexus/sdk;
3. the agent's code at /app, byte-compiled, then ``USER 10001:10001`` and
   the labels. A file that does not compile does not fail the build (it may
   never be imported); compileall's message is in the build log, and a
   replica that imports it exits with the traceback in its logs.

The runtime settings (ENV, EXPOSE, WORKDIR, CMD) come before the SDK: they
change only with the entrypoint. With the classic builder every instruction
costs a container, so the steps after the code copy are kept to four.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ._files import copy_tree
from .base import LABEL_HOME

APP_DIR = "/app"
SDK_DIR = "/opt/nexus/sdk"
VENV_DIR = "/opt/venv"
PORT = 8080
UID = 10001
STAGE_LABEL = "dev.nexus.stage"  # names one build's throw-away install stage, pruned after it
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def deps_dockerfile(base: str, stage: str, home: str) -> str:
    return f"""\
FROM {base} AS install
LABEL {STAGE_LABEL}={stage}
COPY wheels/ /wheels/
RUN python3 -m venv {VENV_DIR} \\
 && {VENV_DIR}/bin/pip install --disable-pip-version-check --no-input --no-index \\
    --find-links /wheels -r /wheels/requirements.txt \\
 && rm -rf /wheels

FROM {base}
LABEL {LABEL_HOME}={json.dumps(home)}
COPY --from=install {VENV_DIR} {VENV_DIR}
"""


def agent_dockerfile(parent: str, entrypoint: str, home: str, labels: dict[str, str]) -> str:
    """The home's label comes first, so no build step is shared with another home's
    images: removing those (and their untagged parents) never takes a layer that a
    build of this home is about to build on."""
    cmd = json.dumps(["python3", "-m", "nexus.ai.agents.serve"])
    label_line = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
    return f"""\
FROM {parent}
LABEL {LABEL_HOME}={json.dumps(home)}
ENV PATH={VENV_DIR}/bin:{SYSTEM_PATH} \\
    PYTHONPATH={APP_DIR}:{SDK_DIR} \\
    PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PORT={PORT} \\
    NEXUS_ENTRYPOINT={entrypoint}
EXPOSE {PORT}
WORKDIR {APP_DIR}
CMD {cmd}
COPY sdk/ {SDK_DIR}/
RUN python3 -m compileall -q {SDK_DIR}
COPY app/ {APP_DIR}/
RUN python3 -m compileall -q {APP_DIR} || echo "(the replica will report this error)"
USER {UID}:{UID}
LABEL {label_line}
"""


def prepare_deps_context(
    build_dir: Path, base: str, wheelhouse: Path, stage: str, home: str
) -> Path:
    """A context with the wheels (hard links when possible) and the deps Dockerfile."""
    ctx = build_dir / "deps"
    if ctx.exists():
        shutil.rmtree(ctx)
    wheels = ctx / "wheels"
    wheels.mkdir(parents=True)
    for item in wheelhouse.iterdir():
        if item.name.startswith("."):
            continue
        try:
            (wheels / item.name).hardlink_to(item)
        except OSError:
            shutil.copyfile(item, wheels / item.name)
    (ctx / "Dockerfile").write_text(deps_dockerfile(base, stage, home))
    return ctx


def prepare_agent_context(
    build_dir: Path,
    parent: str,
    entrypoint: str,
    source: Path,
    sdk_package: Path,
    home: str,
    labels: dict[str, str],
) -> Path:
    """A context with the project in app/, the SDK in sdk/nexus/ and the agent Dockerfile."""
    ctx = build_dir / "agent"
    copy_tree(source, ctx / "app")
    copy_tree(sdk_package, ctx / "sdk" / "nexus")
    (ctx / "Dockerfile").write_text(agent_dockerfile(parent, entrypoint, home, labels))
    return ctx
