"""``python -m nexus_emulator``: serve the emulator on 127.0.0.1.

Exit codes: 0 stopped, 3 the port is in use, 4 the runtime backend is unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from nexus_emulator.config import EmulatorConfig

T = TypeVar("T")

EXIT_PORT_IN_USE = 3
EXIT_RUNTIME = 4


def parse(argv: list[str] | None) -> EmulatorConfig:
    p = argparse.ArgumentParser(prog="python -m nexus_emulator", description=__doc__)
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None, help="port (default $NEXUS_EMULATOR_PORT or 8470)"
    )
    p.add_argument("--home", default=None, help="state directory (default $NEXUS_HOME)")
    p.add_argument("--runtime", choices=["auto", "docker", "process"], default=None)
    a = p.parse_args(argv)
    return EmulatorConfig.from_env(host=a.host, port=a.port, home=a.home, runtime=a.runtime)


def bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say TCP, and
    # with Nagle on, every response waits ~40 ms for the peer's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _quiet_server() -> Any:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """A second server: the main one handles the signals and stops this one."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


async def serve_platform(app: Any, endpoint: Any) -> Any:
    """The replicas' listener (see platform_endpoint.py), when the runtime needs one."""
    import uvicorn

    from nexus_emulator.platform_endpoint import PlatformOnly

    if endpoint is None or endpoint.sock is None:
        return None
    config = uvicorn.Config(
        PlatformOnly(app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="auto",
        ws="none",  # no WebSocket route: its protocol is not imported
    )
    server = _quiet_server()(config)
    server.task = asyncio.create_task(server.serve(sockets=[endpoint.sock]))
    return server


def settle_gc() -> None:
    """Once serving: what start-up allocated is frozen out of the collector's scans, and the
    young generation collects every 50,000 allocations instead of 700. Under concurrent calls
    the default thresholds ran full collections of every start-up object often enough to put
    20-50 ms pauses in the tail (bench/concurrency.py: p99 25-47 ms at 8 connections, 6.4-7 ms
    after; req/s unchanged or better)."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def event_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it comes with uvicorn[standard]), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def in_thread(fn: Callable[[Path], T], arg: Path) -> Future[T]:
    """``fn(arg)`` started in a thread of its own: its result, or its exception, when asked."""
    import threading

    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(fn(arg))
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, name=fn.__name__, daemon=True).start()
    return future


def main(argv: list[str] | None = None) -> int:
    from nexus.admin_credential import ensure_admin_token
    from nexus.settings import Settings, SettingsError

    try:
        config = parse(argv)
        settings = Settings.load()
    except SettingsError as exc:
        print(exc.message + (f" ({exc.hint})" if exc.hint else ""), file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"port {config.port} on {config.host} is in use; pick another with --port "
                "or NEXUS_EMULATOR_PORT",
                file=sys.stderr,
            )
            return EXIT_PORT_IN_USE
        raise
    config.paths.ensure()
    # the OS keyring's start runs tools to find its libraries: in a thread, it overlaps
    # the imports below instead of adding to them
    admin_token = in_thread(ensure_admin_token, config.home)
    import uvicorn

    from nexus_emulator.app import create_app
    from nexus_emulator.listener import FastHttp
    from nexus_emulator.runtime.base import RuntimeUnavailable

    app = create_app(config, own_lifespan=False, admin_token=admin_token)
    emulator = app.emulator
    # serve() runs on the loop made below, so uvicorn's own loop setting has no say here;
    # run calls are answered on the connection (listener.py), everything else by uvicorn's
    # httptools protocol; no access log is written.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=FastHttp,
            ws="none",  # no WebSocket route: its protocol is not imported (~10 ms)
            proxy_headers=False,  # loopback only: no proxy in front to believe
        )
    )

    async def serve() -> None:
        await emulator.start()  # state loaded and runtime answered before the first request
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if server.started:
            config.paths.info.write_text(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "port": config.port,
                        "host": config.host,
                        "started_at": time.time(),
                    }
                )
            )
        platform = await serve_platform(app, emulator.platform)
        emulator.warm(unless_idle=True)
        settle_gc()
        try:
            await task
        finally:
            if platform is not None:
                platform.should_exit = True
                await platform.task
            await emulator.stop()

    try:
        with asyncio.Runner(loop_factory=event_loop()) as runner:
            runner.run(serve())
    except RuntimeUnavailable as exc:
        print(exc.message + (f" ({exc.hint})" if exc.hint else ""), file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        try:
            info = json.loads(config.paths.info.read_text())
            if info.get("pid") == os.getpid():
                config.paths.info.unlink()
        except (OSError, ValueError):
            pass
    if not server.started:
        return EXIT_RUNTIME
    return 0


if __name__ == "__main__":
    sys.exit(main())
