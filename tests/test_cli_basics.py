"""The CLI shell: version, help for every command, one-line errors."""

import subprocess
import sys

from synthlog import __version__


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


def test_an_exit_code_raised_inside_a_command_reaches_the_shell():
    import typer

    from synthlog.cli import main
    from synthlog.cli.app import app

    @app.command("exit-three", hidden=True)
    def _exit_three() -> None:
        raise typer.Exit(3)

    try:
        main(["exit-three"])
    except SystemExit as exc:
        assert exc.code == 3
    else:
        raise AssertionError("main() did not exit")
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "exit-three"]


def test_ctrl_c_inside_a_command_exits_130_with_one_line(capsys):
    from synthlog.cli import main
    from synthlog.cli.app import app

    @app.command("interrupt-me", hidden=True)
    def _interrupt_me() -> None:
        raise KeyboardInterrupt

    try:
        main(["interrupt-me"])
    except SystemExit as exc:
        assert exc.code == 130
    else:
        raise AssertionError("main() did not exit")
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "interrupt-me"]
    assert capsys.readouterr().err.strip().splitlines() == ["interrupted: nothing half-written was left behind"]
