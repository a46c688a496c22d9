"""Logs in a replica: one JSON object per line on stdout, the form the platform collects.

A record is ``{"ts", "level", "logger", "msg", ...}`` plus, inside a call, the
``request_id``, ``session_id`` and ``trace_id`` of that call, and
``traceback`` when an exception is attached. :func:`configure` (run by the
server at start-up) routes everything a replica writes through it:

- the standard :mod:`logging` module: records keep their level and logger
  name; the agent's loggers are at INFO unless ``NEXUS_LOG_LEVEL`` or
  ``log_level`` in nexus.toml's ``[agent]`` says otherwise;
- ``print`` and ``sys.stdout`` at INFO (logger ``stdout``), ``sys.stderr``
  at ERROR (logger ``stderr``), each line with the ids of its call;
- raw writes to file descriptors 1 and 2 (C extensions, subprocesses) at
  INFO and ERROR, without ids;
- uncaught exceptions, in the main thread or another, at ERROR.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import threading
import time
from typing import Any, BinaryIO, TextIO

from nexus.ai.spec import LOG_LEVELS as LEVELS

_lock = threading.Lock()
_out: TextIO | None = None  # the real stdout once configure() ran
_pumps: list[threading.Thread] = []


def _timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def call_ids() -> dict[str, str]:
    """The ids of the call being processed in this context ({} outside a call)."""
    from nexus.ai.agents._context import current_context

    ctx = current_context()
    if ctx is None:
        return {}
    ids = {"request_id": ctx.request_id}
    if ctx.session_id:
        ids["session_id"] = ctx.session_id
    parts = ctx.headers.get("traceparent", "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        ids["trace_id"] = parts[1]
    return ids


def emit(record: dict[str, Any]) -> None:
    """Write one record as one line; logging must never break a request."""
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    stream = _out or sys.stdout
    with _lock:
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):
            pass  # stdout closed


def record(level: str, msg: str, logger: str, ids: bool = True, **fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"ts": _timestamp(time.time()), "level": level, "logger": logger}
    rec["msg"] = msg
    if ids:
        rec.update(call_ids())
    for key, value in fields.items():
        if value is not None:
            rec[key] = value
    return rec


def log(level: str, msg: str, **fields: Any) -> None:
    """A line of the runtime itself (logger ``nexus.agents``); None fields are left out."""
    emit(record(level, msg, "nexus.agents", **fields))


class JsonHandler(logging.Handler):
    """A logging handler writing each record as a JSON line."""

    def emit(self, rec: logging.LogRecord) -> None:
        try:
            msg = rec.getMessage()
        except Exception as exc:  # a bad format string in the agent's call
            msg = f"{rec.msg!r} (cannot format: {exc})"
        tb = None
        if rec.exc_info and rec.exc_info[0] is not None:
            tb = logging.Formatter().formatException(rec.exc_info)
        elif rec.exc_text:
            tb = rec.exc_text
        level = rec.levelname.lower()
        out = record(level if level in LEVELS else "info", msg, rec.name, traceback=tb)
        out["ts"] = _timestamp(rec.created)
        if rec.stack_info:
            out["stack"] = rec.stack_info
        emit(out)


class LineWriter(io.TextIOBase):
    """A text stream turning each written line into a record (``print`` lands here)."""

    def __init__(self, level: str, name: str, fd: int) -> None:
        self.level = level
        self.name = name
        self.fd = fd  # the descriptor behind it: its pipe turns raw bytes into records too
        self._pending = ""
        self._buffer: BinaryIO | None = None

    def fileno(self) -> int:
        return self.fd

    @property
    def buffer(self) -> BinaryIO:
        """Bytes written here reach the same records (through the descriptor's pipe)."""
        if self._buffer is None:
            self._buffer = open(self.fd, "wb", buffering=0, closefd=False)  # noqa: SIM115
        return self._buffer

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            emit(record(self.level, line, self.name))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            emit(record(self.level, pending, self.name))

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def level_from(cwd: str) -> tuple[int, str | None]:
    """The agent's log level: NEXUS_LOG_LEVEL, else nexus.toml's [agent] log_level, else INFO.

    The second value says what was wrong with a given level (then INFO is used).
    """
    raw = os.environ.get("NEXUS_LOG_LEVEL", "")
    where = "NEXUS_LOG_LEVEL"
    if not raw:
        import tomllib

        try:
            with open(os.path.join(cwd, "nexus.toml"), "rb") as fh:
                agent = tomllib.load(fh).get("agent") or {}
        except (OSError, ValueError):
            agent = {}
        raw = str(agent.get("log_level") or "") if isinstance(agent, dict) else ""
        where = "log_level in nexus.toml"
    if not raw:
        return logging.INFO, None
    if raw.lower() not in LEVELS:
        return logging.INFO, f"{where}={raw!r} is not a level ({', '.join(LEVELS)}): using info"
    return getattr(logging, raw.upper()), None


def _pump(fd: int, level: str, name: str) -> None:
    """Send what is written to ``fd`` (by any code, any process) through a pipe into records."""
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)

    def run() -> None:
        with os.fdopen(read_end, "rb") as src:
            for raw in src:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line:
                    emit(record(level, line, name, ids=False))

    thread = threading.Thread(target=run, name=f"nexus-log-{name}", daemon=True)
    thread.start()
    _pumps.append(thread)


def configure(cwd: str) -> None:
    """Route logging, print, stderr and raw output into JSON lines (once, in a replica)."""
    global _out
    if _out is not None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    _out = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace", closefd=True)
    _pump(1, "info", "stdout")
    _pump(2, "error", "stderr")
    sys.stdout = LineWriter("info", "stdout", 1)
    sys.stderr = LineWriter("error", "stderr", 2)
    level, problem = level_from(cwd)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(JsonHandler())
    root.setLevel(level)
    logging.captureWarnings(True)
    if problem:
        log("warning", problem)

    def uncaught(exc_type: Any, exc: Any, tb: Any) -> None:
        logging.getLogger("nexus.agents").error("uncaught exception", exc_info=(exc_type, exc, tb))

    def uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread else "?"
        logging.getLogger("nexus.agents").error(
            f"uncaught exception in thread {name}",
            exc_info=args.exc_value,
        )

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread


def drain(timeout: float = 1.0) -> None:
    """Before exiting: flush the writers and let the pipes deliver what is in them."""
    if _out is None:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(null, fd)  # our last copies of the write ends: the pumps see EOF
    os.close(null)
    deadline = time.monotonic() + timeout
    for thread in _pumps:
        thread.join(max(0.0, deadline - time.monotonic()))
    with contextlib.suppress(OSError, ValueError):
        _out.flush()
