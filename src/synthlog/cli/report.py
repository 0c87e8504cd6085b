"""The report command: one self-contained HTML page for a validation or a bench run."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app


@app.command("report")
def report_command(
    result: Path = typer.Argument(..., help="validation.json, a bench results.json, or the folder holding one."),
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file to write (default: report.html beside "
                                    "the result)."),
) -> None:
    """Write an HTML report (charts inline, no other file needed) of a validation or a bench run."""
    from synthlog.evaluate.html import find_result, write_html_report

    target = out if out is not None else find_result(result)[1].parent / "report.html"
    kind, path = write_html_report(result, target)
    typer.echo(f"wrote {path} ({kind} report)")
