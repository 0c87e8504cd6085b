"""Commands over real logs and data sets: parse, datasets."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, say

datasets_app = typer.Typer(help="List and load the shared and user data sets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


@app.command("parse")
def parse(
    raw: str = typer.Argument(..., help="Raw log file, folder of part files, glob or fsspec URL."),
    log_format: str | None = typer.Option(None, "--format", "-f",
                                          help="Built-in format (hdfs, zookeeper, hadoop, openstack, bgl) or a format "
                                               "string such as '<Date> <Time> <Level> <Component>: <Content>' "
                                               "(default: inferred from the first lines, as profile does)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    sessions: str | None = typer.Option(None, "--sessions", "-s",
                                        help="Also write sessions: blk, entity:REGEX, window:SECONDS, "
                                             "sliding:SIZE,STEP or sliding-time:SIZE,STEP."),
    labels: Path | None = typer.Option(None, "--labels", help="Session labels, BlockId,Label (Normal/Anomaly)."),
    anomalous_ids: Path | None = typer.Option(None, "--anomalous-ids",
                                              help="Anomalous session ids, one per line; all others are Normal."),
) -> None:
    """Mine templates of a raw log and write Loghub-style structured and template CSVs (and sessions)."""
    from synthlog.io.parsed import parse_log

    result = parse_log(raw, log_format, out, sessions=sessions, labels=labels, anomalous_ids=anomalous_ids)
    if log_format is None:
        say(f"layout (inferred): {result.layout}")
    if result.skipped:
        say(f"skipped {result.skipped} lines that do not fit the format")
    sessions_part = ""
    if result.sessions is not None:
        sessions_part = f", {result.sessions} sessions"
        if result.anomalies is not None:
            sessions_part += f" ({result.anomalies} anomalous)"
    typer.echo(f"parsed {result.lines} lines into {result.templates} templates{sessions_part} "
               f"in {result.seconds:.2f} s ({result.lines_per_second:,.0f} lines/s) -> {out}")


@datasets_app.command("list")
def datasets_list() -> None:
    """The shared data sets: name, whether present, what they hold."""
    from synthlog.io.datasets import data_root, list_datasets

    root = data_root()
    typer.echo(f"data root: {root if root is not None else 'not found (set SYNTHLOG_DATA)'}")
    for info in list_datasets():
        state = "present" if info.present else "MISSING"
        typer.echo(f"{info.name:27} {state:8} {info.summary}  [{info.path}]")


@datasets_app.command("show")
def datasets_show(name: str = typer.Argument(..., help="A shared data set name or a data set directory.")) -> None:
    """Load a data set and print its counts."""
    from synthlog.io.datasets import describe, load_dataset

    typer.echo(describe(load_dataset(name)))
