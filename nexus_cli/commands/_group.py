"""The Typer classes every ``nexus`` group and command uses, tuned for start-up time.

Typer 0.29 coerces every processed parameter value through a pydantic adapter,
and building the first one imports pydantic (~50 ms): every command would pay it,
``nexus ai agent --help`` too (the root's ``--provider`` is processed on the way).
Our values are nearly all plain: empty (None), strings for ``str`` parameters,
flags, lists of strings, numbers left at their default. Those need no coercion,
so they skip it; anything else (a number given, enums, a missing required
value) goes through Typer as usual.

Typer has no public hook for this: the parameters Typer builds are switched to
subclasses (``__class__``) that only override ``process_value``. That depends on
Typer's internals, so pyproject.toml pins Typer to the minor version tested, and
tests/cli/test_typer_fast_path.py fails when the shortcut stops applying or
gives a value Typer would not.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, ClassVar, NamedTuple, get_args

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption, _TyperParameter

# Plain help text: Typer's Rich help formatting would import Rich on every --help.
SETTINGS: dict[str, Any] = {"rich_markup_mode": None, "pretty_exceptions_enable": False}
# A group loaded on its own (a plugin's) must not grow the root's completion options.
GROUP_SETTINGS: dict[str, Any] = {**SETTINGS, "add_completion": False}

_NO_VALUE = object()


def plain_value(param: Any, value: Any, *, default: bool = False) -> Any:
    """``value`` as Typer's coercion would give it, when that needs no coercion; else _NO_VALUE.
    ``default``: the value is the parameter's default, which the code wrote already typed
    (``interval: float = 2.0``), so one of the annotated scalar type stays as it is."""
    multi = param.multiple or param.nargs == -1
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if param.required and param.value_is_missing(value):
        return _NO_VALUE  # Typer's own error message
    if value is None:
        return () if multi else None
    if default and not multi and type(value) in (int, float) and annotation is type(value):
        return value
    if multi:
        strings = isinstance(value, tuple | list) and all(isinstance(v, str) for v in value)
        of_str = getattr(annotation, "__origin__", None) is list and get_args(annotation) == (str,)
        return list(value) if strings and of_str else _NO_VALUE
    if isinstance(value, bool | str) and annotation is type(value):
        return value
    return _NO_VALUE


class _Plain(_TyperParameter):
    def process_value(self, ctx: Any, value: Any) -> Any:
        source = ctx.get_parameter_source(self.name)  # a ParameterSource (Typer's Click)
        default = getattr(source, "name", None) == "DEFAULT"
        plain = plain_value(self, value, default=default)
        if plain is _NO_VALUE:
            return super().process_value(ctx, value)
        return plain if self.callback is None else self.callback(ctx, self, plain)


class _PlainOption(_Plain, TyperOption):
    pass


class _PlainArgument(_Plain, TyperArgument):
    pass


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _PlainOption
        elif type(param) is TyperArgument:
            param.__class__ = _PlainArgument
    return params


class FastCommand(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        # every parameter Click parses, shows or completes comes through here (help too)
        return _plain(super().get_params(ctx))


class FastGroup(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class Lazy(NamedTuple):
    """A command of a :class:`LazyGroup`, named by where it is defined, with what its group's
    help page and shell completion show for it without importing it: the first paragraph of
    its help (tests/cli/test_lazy_commands.py checks that the two agree)."""

    target: str  # "module:attribute": a Typer app (a group) or a command function
    summary: str


class LazyGroup(FastGroup):
    """A group whose commands are named in ``lazy`` and imported (and turned into Click
    commands by Typer) only when one runs or its own help is shown; the group's help page
    and completion list them from their summaries. Building every command of the CLI costs
    Typer a signature and the type hints of each verb: ``nexus --help`` would pay for all
    of them, ``nexus ai agent --help`` for twenty-two."""

    lazy: ClassVar[dict[str, Lazy]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        names: list[str] = super().list_commands(ctx)
        return [name for name in names if name not in self.lazy] + list(self.lazy)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        entry = self.lazy.get(cmd_name)
        if command is None and entry is not None:
            module, _, attribute = entry.target.partition(":")
            command = click_command(cmd_name, getattr(import_module(module), attribute))
            self.add_command(command, cmd_name)
        return command

    def summaries(self, ctx: Any) -> list[tuple[str, Callable[[int], str]]]:
        """Each visible command's name and its short help at a width, as Click words it;
        a command not loaded yet is not imported for it."""
        rows: list[tuple[str, Callable[[int], str]]] = []
        for name in self.list_commands(ctx):
            entry = self.lazy.get(name)
            if entry is not None and name not in self.commands:
                rows.append((name, FastCommand(name, help=entry.summary).get_short_help_str))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str))
        return rows

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = self.summaries(ctx)
        if rows:  # the width Click gives the help column
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, short(limit)) for name, short in rows])

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        # Typer's copy of Click's class, the one its completion scripts read
        from typer.core import CompletionItem  # type: ignore[attr-defined]

        found = [
            CompletionItem(name, help=short(45))
            for name, short in self.summaries(ctx)
            if name.startswith(incomplete)
        ]
        # the options, as a group's completion adds them (TyperGroup's base is a Command)
        options: list[Any] = super(TyperGroup, self).shell_complete(ctx, incomplete)
        return found + options


def click_command(name: str, target: Any) -> Any:
    """The Click command for a Typer app (always a group) or a command function."""
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = FastTyper(**GROUP_SETTINGS)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class FastTyper(typer.Typer):
    """A Typer app whose commands are :class:`FastCommand` unless told otherwise."""

    def command(self, name: str | None = None, *, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(name, cls=cls or FastCommand, **kwargs)


def group(
    help: str, cls: type[TyperGroup] | None = None, lazy: dict[str, Lazy] | None = None
) -> typer.Typer:
    """A command group: plain help, shown when called without a command; ``lazy`` names
    the commands it imports only when they run (:class:`LazyGroup`)."""
    if lazy is not None:
        base = cls if cls is not None and issubclass(cls, LazyGroup) else LazyGroup
        cls = type(base.__name__, (base,), {"lazy": lazy})
    return FastTyper(help=help, no_args_is_help=True, cls=cls or FastGroup, **GROUP_SETTINGS)


class RootGroup(LazyGroup):
    """The ``nexus`` group: a NexusError from any command becomes output here, inside the
    invocation (its --json and --debug), so in-process runs print what the process prints."""

    def invoke(self, ctx: Any) -> Any:
        from nexus_cli.errors import NexusError

        try:
            return super().invoke(ctx)
        except NexusError as error:
            from nexus_cli import output

            output.debug_traceback(error)
            raise typer.Exit(output.fail(error)) from None
