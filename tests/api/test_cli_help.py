"""Every command's --help at 80 columns: every option's name appears whole, every option and
argument has help text, and that text is shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app

ROOT = typer.main.get_command(app)


def commands(
    group: Any = ROOT, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, command) of every command under `group` (typer's own copy of click's classes)."""
    if hasattr(group, "commands"):
        for name, sub in sorted(group.commands.items()):
            yield from commands(sub, (*path, name))
    else:
        yield path, group


COMMANDS = dict(commands())


BOX = str.maketrans("", "", "│╭╮╰╯─")  # a rich panel's frame, between the wrapped words


def words(text: str) -> str:
    """`text` without the frame and the whitespace that wrapping adds (it also breaks words)."""
    return "".join(text.translate(BOX).split())


def test_the_walk_finds_every_command_group():
    groups = {path[0] for path in COMMANDS}
    assert {"clients", "users", "orgs", "keys", "sessions", "vault", "serve"} <= groups
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_at_80_columns_shows_every_option_whole_with_its_help(path: tuple[str, ...]):
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.output
    tokens = set(out.replace(",", " ").replace("/", " ").split())
    for line in out.splitlines():
        assert len(line) <= 80, line
    for param in COMMANDS[path].params:
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                assert name in tokens, f"{name} is not shown whole in:\n{out}"
        help_text = getattr(param, "help", None)
        assert help_text, f"{' '.join(path)}: {param.name} has no help text"
        assert words(help_text) in words(out), f"help of {param.name} not shown in:\n{out}"
