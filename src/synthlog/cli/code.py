"""Commands that analyse source code: scan, match, paths, graph."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app
from synthlog.code.match import THRESHOLD

code_app = typer.Typer(help="Find logging statements, build log-oriented CFGs, enumerate paths.",
                       no_args_is_help=True)
app.add_typer(code_app, name="code")


@code_app.command("scan")
def scan_command(
    src: Path = typer.Argument(..., help="Source tree (or one file) to scan: Java and Python files."),
    out: Path = typer.Option(..., "--out", "-o", help="Statements CSV to write."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of relative paths to skip, e.g. '*/test/*'."),
) -> None:
    """Find every logging statement and write its template (StatementId,File,Line,...,Template,Args,InCatch)."""
    from synthlog.code.scan import scan, write_statements_csv

    result = scan(src, exclude)
    write_statements_csv(result.statements, out)
    typer.echo(f"{result.summary()} -> {out}")


@code_app.command("match")
def match_command(
    src: Path = typer.Argument(..., help="Source tree that wrote the logs."),
    templates: Path = typer.Option(..., "--templates", "-t", help="Templates CSV (EventId,EventTemplate[,...])."),
    out: Path = typer.Option(..., "--out", "-o", help="Matches CSV to write, one row per template."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of relative paths to skip, e.g. '*/test/*'."),
    threshold: float = typer.Option(THRESHOLD, "--threshold", min=0.0, max=1.0, help="Lowest score taken as a match."),
) -> None:
    """Map each template of a real data set to the logging statement that prints it."""
    from synthlog.code.match import coverage, match_templates, write_matches_csv
    from synthlog.code.scan import scan
    from synthlog.io.loghub import read_templates

    wanted = list(read_templates(templates).values())
    result = scan(src, exclude)
    matches = match_templates(result.statements, wanted, threshold)
    write_matches_csv(matches, out)
    typer.echo(f"{coverage(matches, result.statements).summary()} -> {out}")
