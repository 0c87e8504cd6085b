"""Commands around statistics specs: spec schema/check, profile, validate."""

from __future__ import annotations

import typer

from synthlog.cli.app import app

spec_app = typer.Typer(help="Print the spec's JSON Schema or check a spec file.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")
