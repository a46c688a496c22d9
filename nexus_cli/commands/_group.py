"""The Typer classes every ``nexus`` group and command uses, tuned for start-up time.

Typer 0.29 coerces every processed parameter value through a pydantic adapter,
and building the first one imports pydantic (~50 ms): every command would pay it,
``nexus ai agent --help`` too (the root's ``--provider`` is processed on the way).
Our values are nearly all plain: empty (None), strings for ``str`` parameters,
flags, lists of strings. Those need no coercion, so they skip it; anything else
(ints, enums, a missing required value) goes through Typer as usual.

Typer has no public hook for this: the parameters Typer builds are switched to
subclasses (``__class__``) that only override ``process_value``. That depends on
Typer's internals, so pyproject.toml pins Typer to the minor version tested, and
tests/cli/test_typer_fast_path.py fails when the shortcut stops applying or
gives a value Typer would not.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, ClassVar, get_args

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption, _TyperParameter

# Plain help text: Typer's Rich help formatting would import Rich on every --help.
SETTINGS: dict[str, Any] = {"rich_markup_mode": None, "pretty_exceptions_enable": False}
# A group loaded on its own (a plugin's) must not grow the root's completion options.
GROUP_SETTINGS: dict[str, Any] = {**SETTINGS, "add_completion": False}

_NO_VALUE = object()


def plain_value(param: Any, value: Any) -> Any:
    """``value`` as Typer's coercion would give it, when that needs no coercion; else _NO_VALUE."""
    multi = param.multiple or param.nargs == -1
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if param.required and param.value_is_missing(value):
        return _NO_VALUE  # Typer's own error message
    if value is None:
        return () if multi else None
    if multi:
        strings = isinstance(value, tuple | list) and all(isinstance(v, str) for v in value)
        of_str = getattr(annotation, "__origin__", None) is list and get_args(annotation) == (str,)
        return list(value) if strings and of_str else _NO_VALUE
    if isinstance(value, bool | str) and annotation is type(value):
        return value
    return _NO_VALUE


class _Plain(_TyperParameter):
    def process_value(self, ctx: Any, value: Any) -> Any:
        plain = plain_value(self, value)
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


class LazyGroup(FastGroup):
    """A group whose commands are named as ``"module:attribute"`` in ``lazy`` and imported
    (and turned into Click commands by Typer) only when one is run, completed or listed
    in a help page. Building every command of the CLI costs Typer a signature and the type
    hints of each verb: ``nexus --help`` would pay for all of them."""

    lazy: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        names: list[str] = super().list_commands(ctx)
        return names + [name for name in self.lazy if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        target = self.lazy.get(cmd_name)
        if command is None and target is not None:
            module, _, attribute = target.partition(":")
            command = click_command(cmd_name, getattr(import_module(module), attribute))
            self.add_command(command, cmd_name)
        return command


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


def group(help: str, cls: type[TyperGroup] | None = None) -> typer.Typer:
    """A command group: plain help, shown when called without a command."""
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
