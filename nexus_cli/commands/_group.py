"""The Typer group class every ``nexus`` group uses, tuned so ``--help`` stays fast.

Typer coerces every processed option value through a pydantic adapter, and
building the first one imports pydantic (~40 ms). On the way to a subcommand
(``nexus ai agent --help``) each parent group processes its own options, which
are empty (None), plain strings or flags: those need no coercion, so they skip it.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

# Plain help text: Typer's Rich help formatting would import Rich on every --help.
SETTINGS: dict[str, Any] = {"rich_markup_mode": None, "pretty_exceptions_enable": False}
# A group loaded on its own (a plugin's) must not grow the root's completion options.
GROUP_SETTINGS: dict[str, Any] = {**SETTINGS, "add_completion": False}


class _PlainOption(TyperOption):
    def process_value(self, ctx: Any, value: Any) -> Any:
        multi = self.multiple or self.nargs == -1
        annotation = getattr(getattr(self, "type_descriptor", None), "annotation", None)
        plain = (
            (value is None and not multi)
            or (isinstance(value, str) and annotation is str)
            or (isinstance(value, bool) and not multi)  # flags, e.g. --install-completion
        )
        if not plain:
            return super().process_value(ctx, value)
        if self.required and self.value_is_missing(value):
            raise typer.BadParameter("missing value", ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value


class FastGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_params()

    def _plain_params(self) -> None:
        for param in self.params:
            if type(param) is TyperOption:
                param.__class__ = _PlainOption

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        self._plain_params()  # Typer appends the completion options after __init__
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and type(option) is TyperOption:
            option.__class__ = _PlainOption
        return option


def group(help: str, cls: type[TyperGroup] | None = None) -> typer.Typer:
    """A command group: plain help, shown when called without a command."""
    return typer.Typer(help=help, no_args_is_help=True, cls=cls or FastGroup, **GROUP_SETTINGS)


class RootGroup(FastGroup):
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
