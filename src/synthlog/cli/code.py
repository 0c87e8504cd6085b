"""Commands that analyse source code: scan, match, paths, graph."""

from __future__ import annotations

import typer

from synthlog.cli.app import app

code_app = typer.Typer(help="Find logging statements, build log-oriented CFGs, enumerate paths.",
                       no_args_is_help=True)
app.add_typer(code_app, name="code")
