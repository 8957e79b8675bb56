"""Every `quorum …` command in the runbooks and infra docs parses against the real CLI.

An operator meets these commands during an incident. Five runbooks once used
`quorum kill-switch on --actor …` where the option is `--by`: the command exited 2 after
its start-up (issue #24 item 1). Each shell line in a fenced code block of `ops/` and
`infra/` whose first word is `quorum` is parsed by Click against the real command tree —
sub-command path, option names, required options and arguments, values — without running
it. Lines with placeholders (`…`, `<…>`) are checked for the command path and option
names only.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from apps.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
UsageError = typer.BadParameter.__mro__[1]
"""Click's UsageError as Typer ships it (Typer vendors Click; BadParameter derives from it)."""
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)


def _commands() -> list[tuple[str, str]]:
    found = []
    for path in sorted([*(ROOT / "ops").rglob("*.md"), *(ROOT / "infra").rglob("*.md")]):
        for block in FENCE.findall(path.read_text(encoding="utf-8")):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                text = line.strip()
                if text.startswith("quorum "):
                    where = f"{path.relative_to(ROOT)}: {text}"
                    found.append((where, text))
    return found


COMMANDS = _commands()


SHELL = {"|", ">", ">>", "<", "&&", "||", ";", "&"}
PLACEHOLDER = re.compile(r"<[^<>\n]+>")


def _words(text: str) -> tuple[list[str], bool]:
    """The arguments after ``quorum`` (up to a pipe or redirection) and whether the line
    holds placeholders (``…``, ``<…>``)."""
    templated = "…" in text or bool(PLACEHOLDER.search(text))
    text = PLACEHOLDER.sub("X", text)
    text = re.sub(r"\$\([^)]*\)", "X", text)  # command substitutions: a value
    words = shlex.split(text, comments=True)[1:]
    for i, word in enumerate(words):
        if word in SHELL:
            return words[:i], templated
    return words, templated


def test_the_runbooks_name_quorum_commands_at_all() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize(("where", "text"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_runbook_command_parses_against_the_real_cli(where: str, text: str) -> None:
    words, templated = _words(text)
    command: Any = typer.main.get_command(app)
    path = ["quorum"]
    ctx: Any = typer.Context(command, info_name="quorum")
    while hasattr(command, "resolve_command") and words and not words[0].startswith("-"):
        name, sub, words = command.resolve_command(ctx, words)
        assert sub is not None, f"{where}: no sub-command {words[:1]}"
        assert name is not None
        path.append(name)
        command = sub
        ctx = typer.Context(command, info_name=name, parent=ctx)
    if "--help" in words:
        return
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in known, (
                f"{where}: {' '.join(path)} has no option {word}; it takes {sorted(known)}"
            )
    if templated:
        return
    try:
        command.make_context(path[-1], list(words), parent=ctx.parent)
    except UsageError as exc:
        pytest.fail(f"{where}: {exc.format_message()}")
