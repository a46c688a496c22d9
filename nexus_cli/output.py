"""Everything the CLI prints goes through here; the only module that creates Rich consoles.

Streams:
- stdout carries results: a human table or text by default; under ``--json``
  the command's pydantic result dumped as JSON.
- stderr carries what is said to a person: notices, spinners (only when stderr
  is a terminal) and, in human mode, errors.
- Errors under ``--json`` are a JSON object ``{"error": {"code", "message",
  "hint", "details", "exit_code"}}`` on **stdout**, so a script reading stdout
  always gets one JSON document, whether the command worked or not. The exit
  code says which.

Rich is imported inside the functions so that ``nexus --help`` never loads it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from nexus_cli.context import current
from nexus_cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, InternalError, NexusError

if TYPE_CHECKING:
    from rich.console import Console

Render = Callable[[Any], Any]


def json_mode() -> bool:
    """True under --json (global or the command's own)."""
    return current().json


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@cache
def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal Rich would wrap tables at 80 columns; give pipes room instead.
    width = None if is_terminal(stream) else 160
    return Console(stderr=stderr, highlight=False, width=width, soft_wrap=False)


def _jsonable(result: Any) -> Any:
    if isinstance(result, list):
        return [_jsonable(item) for item in result]
    dump = getattr(result, "model_dump", None)
    return dump(mode="json") if dump is not None else result


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def emit(result: Any, render: Render) -> None:
    """Show a result: ``render(result)`` (a Rich renderable, a str or a list of them) or JSON.

    A str is written as it is (Rich is not even imported for it): plain tables made
    with :func:`columns` cost nothing to print.
    """
    if current().json:
        print_json(result)
        return
    shown = render(result)
    piped = not is_terminal(sys.stdout)
    for part in shown if isinstance(shown, list) else [shown]:
        if part is None:
            continue
        if isinstance(part, str):
            text(part)
            continue
        out = console()
        if not piped:
            out.print(part)
            continue
        # Off a terminal: no column padding at line ends (friendlier to grep and diff).
        with out.capture() as captured:
            out.print(part)
        text("\n".join(line.rstrip() for line in captured.get().splitlines()))


_STYLES = {"bold": "1", "dim": "2", "green": "32", "yellow": "33"}


def styled(value: str, style: str) -> str:
    """``value`` in a style (bold, dim, green, yellow) when stdout is a colour terminal."""
    if not value or not is_terminal(sys.stdout) or "NO_COLOR" in os.environ:
        return value
    if os.environ.get("TERM") == "dumb":
        return value
    return f"\x1b[{_STYLES[style]}m{value}\x1b[0m"


def columns(
    rows: list[list[str]],
    header: list[str] | None = None,
    *,
    right: frozenset[int] = frozenset(),
    styles: dict[int, Callable[[str], str]] | None = None,
) -> str:
    """Rows as aligned columns two spaces apart (the header in bold), without trailing blanks.

    ``right`` holds the indexes of right-aligned columns; ``styles`` maps a column
    index to a function that styles one cell (after it was padded).
    """
    table = [header, *rows] if header else rows
    if not table:
        return ""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for n, row in enumerate(table):
        cells = []
        for i, cell in enumerate(row):
            if i in right:
                padded = cell.rjust(widths[i])
            else:  # the last column is not padded: no blanks at line ends
                padded = cell if i == len(row) - 1 else cell.ljust(widths[i])
            if header and n == 0:
                padded = styled(padded, "bold")
            elif styles and i in styles:
                padded = styles[i](padded)
            cells.append(padded)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def text(message: str) -> None:
    """Plain text on stdout, exactly as given (no markup)."""
    sys.stdout.write(message if message.endswith("\n") else message + "\n")
    sys.stdout.flush()


def stream(frames: Iterator[dict[str, Any]]) -> None:
    """Streamed frames as they come: text as is, other chunks as JSON lines;
    under ``--json`` every frame is one JSON line."""
    ended_line = True
    for frame in frames:
        if current().json:
            sys.stdout.write(json.dumps(frame, ensure_ascii=False) + "\n")
        elif isinstance(frame.get("text"), str):
            sys.stdout.write(frame["text"])
            ended_line = frame["text"].endswith("\n")
        else:
            prefix = "" if ended_line else "\n"
            sys.stdout.write(prefix + json.dumps(frame, ensure_ascii=False) + "\n")
            ended_line = True
        sys.stdout.flush()
    if not ended_line:
        sys.stdout.write("\n")
        sys.stdout.flush()


def records(items: Iterator[dict[str, Any]], render: Callable[[dict[str, Any]], str]) -> None:
    """Streamed records as they come: JSON lines under ``--json``, else one line each."""
    for item in items:
        shown = json.dumps(item, ensure_ascii=False) if current().json else render(item)
        sys.stdout.write(shown + "\n")
        sys.stdout.flush()


def notice(message: str) -> None:
    """A one-line message for the person at the terminal (stderr)."""
    from rich.text import Text

    console(stderr=True).print(Text(message, style="dim" if current().json else "cyan"))


def success(message: str) -> None:
    """A human confirmation line on stdout (skipped under --json, which prints the result)."""
    if current().json:
        return
    from rich.text import Text

    console().print(Text(message, style="green"))


@contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr while a slow step runs; yields a function to update its text.

    Off a terminal nothing is shown (``--debug`` prints each message as a plain line).
    """
    if not is_terminal(sys.stderr):

        def plain(message: str) -> None:
            if current().debug:
                sys.stderr.write(f"{title}: {message}\n")

        yield plain
        return
    from rich.text import Text

    with console(stderr=True).status(Text(title), spinner="dots") as status:

        def update(message: str) -> None:
            status.update(Text(f"{title}: {message}"))

        yield update


def confirm(question: str) -> bool:
    from rich.prompt import Confirm

    return Confirm.ask(question, console=console(stderr=True), default=False)


def fail(error: NexusError) -> int:
    """The one place an error becomes output; returns the exit code to use."""
    if current().json:
        print_json({"error": error.to_dict()})
        return error.exit_code
    from rich.text import Text

    err = console(stderr=True)
    line = Text("Error: ", style="bold red")
    line.append(error.message)
    err.print(line)
    for detail in error.details:
        err.print(Text(f"  {detail}"))
    if error.hint:
        hint = Text("Hint: ", style="bold yellow")
        hint.append(error.hint)
        err.print(hint)
    return error.exit_code


def crash(exc: BaseException) -> int:
    """An unexpected exception: a short message, or the traceback under --debug."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if current().debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    error = InternalError(
        f"unexpected {type(exc).__name__}: {exc}",
        hint="run again with --debug (or NEXUS_DEBUG=1) to see the traceback",
    )
    fail(error)
    return EXIT_FAILED


def debug_traceback(exc: BaseException) -> None:
    if current().debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
