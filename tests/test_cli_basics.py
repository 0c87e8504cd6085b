"""The CLI shell: version, help for every command, one-line errors."""

import subprocess
import sys

import pytest
import typer

from synthlog import __version__
from synthlog.cli import main
from synthlog.cli.app import app


def run(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    top = run("--help")
    assert top.returncode == 0
    for group in ["code", "datasets", "generate", "spec"]:
        assert group in top.stdout
        assert run(group, "--help").returncode == 0


def test_unknown_command_fails_without_traceback():
    out = run("no-such-command")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr


def _exit_code_of(command) -> int:
    """Register ``command`` on the app for one call of ``main`` and return the exit code it ends with."""
    app.command("temporary-command", hidden=True)(command)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["temporary-command"])
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "temporary-command"]
    return exited.value.code


def test_an_exit_code_raised_inside_a_command_reaches_the_shell():
    def exit_three() -> None:
        raise typer.Exit(3)

    assert _exit_code_of(exit_three) == 3


def test_ctrl_c_inside_a_command_exits_130_with_one_line(capsys):
    def interrupt() -> None:
        raise KeyboardInterrupt

    assert _exit_code_of(interrupt) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["interrupted: nothing half-written was left behind"]
