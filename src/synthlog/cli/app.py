"""The Typer application, its global options, and the one place where errors become one-line messages."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass

import typer
from typer._click import exceptions as click_exc  # Typer vendors click; its exceptions live here

from synthlog import __version__
from synthlog.errors import SynthlogError
from synthlog.io.atomic import allow_overwrite
from synthlog.progress import request_stop, set_quiet


@dataclass
class GlobalOptions:
    seed: int = 0
    quiet: bool = False
    verbose: bool = False
    force: bool = False


options = GlobalOptions()
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C
INTERRUPTED_LINE = "interrupted: nothing half-written was left behind"

app = typer.Typer(
    name="synthlog",
    help="Manufacture realistic, labeled logs for log anomaly detection, and prove what they are worth.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synthlog {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    seed: int = typer.Option(0, "--seed", min=0, help="Seed for everything random; same input and seed, same output."),
    force: bool = typer.Option(False, "--force", help="Write into an output folder that holds files this tool did "
                               "not write, replacing same-named ones (no other file is ever deleted)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors and final results."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks and extra detail."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    options.seed, options.quiet, options.verbose, options.force = seed, quiet, verbose, force
    set_quiet(quiet)
    allow_overwrite(force)


def seed_or_global(seed: int | None) -> int:
    """A command's own ``--seed`` wins over the global one."""
    return options.seed if seed is None else seed


def say(message: str) -> None:
    """A progress or status line for humans (stderr), silenced by ``--quiet``."""
    if not options.quiet:
        typer.echo(message, err=True)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM stops a run like Ctrl-C: every staged or temporary output is removed on the way out. Should the
    interrupt land in a finaliser, which swallows it, the run's next progress step raises it again."""
    request_stop()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``synthlog`` script: one-line errors, exit codes, Ctrl-C handled cleanly."""
    import synthlog.cli  # noqa: F401  (registers every command module)

    verbose = "--verbose" in (argv or sys.argv) or "-v" in (argv or sys.argv)
    signal.signal(signal.SIGTERM, _stop)
    try:
        # without standalone mode, click hands back typer.Exit's code instead of exiting: pass it on
        code = app(args=argv, standalone_mode=False)
    except SynthlogError as exc:
        if verbose:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("interrupted", err=True)
        sys.exit(INTERRUPTED)
    except KeyboardInterrupt:
        if verbose:
            raise
        typer.echo(INTERRUPTED_LINE, err=True)
        sys.exit(INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click_exc.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (OSError, UnicodeDecodeError) as exc:  # unreadable files and the like, named in the message
        if verbose:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if code == INTERRUPTED:  # typer turns Ctrl-C inside a command into this exit code before we can catch it
        typer.echo(INTERRUPTED_LINE, err=True)
    if isinstance(code, int) and code:
        sys.exit(code)
