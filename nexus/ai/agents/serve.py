"""Run an agent behind the runtime contract: ``python -m nexus.ai.agents.serve module:Class``.

The entrypoint comes from the argument or ``NEXUS_ENTRYPOINT``; the module is
imported from the current directory or ``PYTHONPATH``. The server listens on
``NEXUS_HOST`` (default 0.0.0.0) and ``PORT`` (default 8080). SIGTERM or
SIGINT stops it gracefully: in-flight requests get ``NEXUS_SHUTDOWN_GRACE``
seconds (default 5) to finish, then it exits 0.

Everything the replica writes becomes JSON lines on stdout (see ``_log``). A
failing import or constructor exits 1 after one error record whose ``msg``
says what failed and whose ``traceback`` holds the traceback; a usage error
(no entrypoint, a bad PORT) exits 2 with one plain line on stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from nexus.ai.agents import _log, _reload
from nexus.ai.agents._handler import EntrypointError, Handler, load
from nexus.ai.agents._log import log
from nexus.ai.agents._platform import platform_file
from nexus.ai.agents._server import AgentServer

PROG = "nexus.ai.agents.serve"
USAGE = f"usage: python -m {PROG} [module:Class]   (or set NEXUS_ENTRYPOINT)"


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code


def _port() -> int | None:
    raw = os.environ.get("PORT", "8080")
    try:
        port = int(raw)
    except ValueError:
        return None
    return port if 0 <= port <= 65535 else None


def _max_concurrency() -> int:
    """NEXUS_MAX_CONCURRENCY, set by the platform from deploy --max-concurrency (0: none)."""
    try:
        return max(0, int(os.environ.get("NEXUS_MAX_CONCURRENCY", "0")))
    except ValueError:
        return 0


class _ListenError(Exception):
    pass


async def _run(handler: Handler, host: str, port: int, started: float) -> None:
    platform = platform_file()
    secret = platform.get("replica_secret") if platform else None
    server = AgentServer(handler, replica_secret=secret, max_concurrency=_max_concurrency())
    try:
        listener = await server.start(host, port)
    except OSError as exc:
        raise _ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    bound = listener.sockets[0].getsockname()[1] if listener.sockets else port
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = None
    if _reload.enabled():  # nexus ai agent dev: the project directory itself is the cwd
        reloader = _reload.Reloader(server, handler.name, Path(os.getcwd()))
        watcher = asyncio.create_task(reloader.run())
    log(
        "info",
        "agent ready",
        entrypoint=handler.name,
        host=host,
        port=bound,
        pid=os.getpid(),
        startup_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    await stop.wait()
    if watcher is not None:
        watcher.cancel()
    grace = float(os.environ.get("NEXUS_SHUTDOWN_GRACE", "5") or 5)
    log("info", "stopping", inflight=server.inflight, grace_s=grace)
    listener.close()
    await server.shutdown(grace)
    log("info", "stopped")


def _load_secrets() -> str | None:
    """Put the platform's secrets into os.environ before the agent is imported.

    The platform hands them over as a JSON object in the file named by
    NEXUS_SECRETS_FILE (a read-only mount, never an image layer or the
    container's environment), so ``os.environ["KEY"]`` works in ``__init__``.
    """
    problem = _load_secrets_dir(os.environ.pop("NEXUS_SECRETS_DIR", ""))
    path = os.environ.pop("NEXUS_SECRETS_FILE", "")
    if problem or not path:
        return problem
    try:
        with open(path, encoding="utf-8") as fh:
            values = json.load(fh)
    except (OSError, ValueError) as exc:
        return f"cannot read the secrets file {path}: {exc}"
    if not isinstance(values, dict):
        return f"the secrets file {path} is not a JSON object"
    for key, value in values.items():
        os.environ[str(key)] = str(value)
    return None


def _load_secrets_dir(folder: str) -> str | None:
    """Each file of NEXUS_SECRETS_DIR becomes a variable named after it (swarm secrets)."""
    if not folder:
        return None
    try:
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                os.environ[name] = fh.read()
    except OSError as exc:
        return f"cannot read the secrets directory {folder}: {exc}"
    return None


def _check_platform() -> str | None:
    """The platform file, when one is named, must hold this replica's secret."""
    platform = platform_file()
    if platform is not None and platform.get("replica_secret") is None:
        return f"cannot read the replica's secret from the platform file {platform.path}"
    return None


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if len(args) > 1:
        return _fail(f"too many arguments; {USAGE}", 2)
    entrypoint = args[0] if args else os.environ.get("NEXUS_ENTRYPOINT", "")
    if not entrypoint:
        return _fail(f"no agent entrypoint; {USAGE}", 2)
    port = _port()
    if port is None:
        return _fail(f"PORT={os.environ.get('PORT')!r} is not a port number (0-65535)", 2)
    host = os.environ.get("NEXUS_HOST") or "0.0.0.0"
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    _log.configure(cwd)
    try:
        return _serve(entrypoint, host, port, started)
    finally:
        _log.drain()


def _serve(entrypoint: str, host: str, port: int, started: float) -> int:
    from nexus.ai.agents import _secret_refs

    problem = _load_secrets() or _secret_refs.load() or _check_platform()
    if problem:
        log("error", problem)
        return 1
    from nexus.ai.agents._gateway_env import keep_exported

    keep_exported()  # OPENAI_*/ANTHROPIC_* point at the platform's gateway
    from nexus.ai.agents import _otel

    _otel.configure()  # the agent's OpenTelemetry spans go to the platform
    try:
        handler = load(entrypoint)
    except EntrypointError as exc:
        cause = exc.__cause__ or exc
        tb = "".join(traceback.format_exception(cause)).rstrip()
        log("error", str(exc), traceback=tb)
        return 1
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_run(handler, host, port, started))
    except _ListenError as exc:
        log("error", str(exc))
        return 1
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()  # does not wait for worker threads, unlike asyncio.run
        _otel.shutdown()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:]):
        # A sync process() still runs past the grace period: do not wait for it.
        log("warning", "exiting with a request still running in a worker thread")
        _log.drain()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
