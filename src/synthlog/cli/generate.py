"""Commands that generate labeled synthetic data sets: from source code, from a statistics spec."""

from __future__ import annotations

import typer

from synthlog.cli.app import app

generate_app = typer.Typer(help="Generate labeled synthetic logs.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")
