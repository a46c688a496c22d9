"""The dashboard's dialogs: confirm an action, ask a replica count, pick a version, help."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

MODAL_CSS = """
ModalScreen { align: center middle; }
ModalScreen > Vertical {
    width: 64; height: auto; max-height: 80%; padding: 1 2;
    border: thick $accent; background: $surface;
}
ModalScreen Horizontal { height: auto; margin-top: 1; }
ModalScreen Button { margin-right: 2; }
"""


class Confirm(ModalScreen[bool]):
    """Yes or no; ``y``/``n`` and Escape answer too."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question")
            with Horizontal():
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class AskReplicas(ModalScreen[int | None]):
    """A replica count for ``scale``; Enter confirms, Escape cancels."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, current: int) -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(str(self.current), id="replicas", type="integer")
            yield Static("", id="problem")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value.isdigit() or int(value) < 1:
            self.query_one("#problem", Static).update("[red]a whole number, 1 or more[/red]")
            return
        self.dismiss(int(value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickVersion(ModalScreen[str | None]):
    """A version to roll back to, newest first; the one serving is not offered."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, versions: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.versions = versions  # (id passed back, text shown)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*(Option(text, id=key) for key, text in self.versions), id="versions")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
[b]Nexus dashboard[/b]

  ↑ ↓, click      select an agent (its view, logs, tasks, traces, memory follow)
  /               filter: agents by name, or search the logs on the Logs tab
  1 … 5           Agent, Logs, Tasks, Traces, Memory tab
  v               logs: next lowest level (debug, info, warning, error)
  f               logs: follow on or off
  s               scale the selected environment
  b               roll back the selected environment to a chosen version
  R               restart the selected environment (new replicas, same version)
  D               delete the selected agent
  c               cancel the selected task (Tasks tab)
  r               refresh now
  ctrl+p          command palette
  ?               this help
  q               quit

Actions ask first; with --readonly they are refused. Secrets show by name only.
"""


class Help(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,question_mark,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(HELP, id="help")

    def action_close(self) -> None:
        self.dismiss(None)
