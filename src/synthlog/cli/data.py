"""Commands over real logs and data sets: parse, datasets."""

from __future__ import annotations

import typer

from synthlog.cli.app import app

datasets_app = typer.Typer(help="List and load the shared and user data sets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
