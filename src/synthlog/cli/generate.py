"""Commands that generate labeled synthetic data sets: from source code, from a statistics spec."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, seed_or_global

generate_app = typer.Typer(help="Generate labeled synthetic logs.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")


# --- generate stats -----------------------------------------------------------------------------------------


@generate_app.command("stats")
def generate_stats(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, help="Statistics spec (YAML)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    duration: str | None = typer.Option(None, "--duration", help="Simulated time to cover, e.g. 10m, 1h, 2d."),
    lines: int | None = typer.Option(None, "--lines", help="Number of log lines to write."),
    seed: int | None = typer.Option(None, "--seed", help="Seed (default: the global --seed)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Run shards on a dask LocalCluster of N workers."),
    formats: str = typer.Option("jsonl,raw,csv", "--formats",
                                help="Files to write: jsonl (events.jsonl), raw (NAME.log), csv (Loghub CSVs)."),
) -> None:
    """Simulate a spec: events.jsonl, raw log, Loghub structured/templates CSVs and anomaly_label.csv."""
    from synthlog.stats.simulate import StatsSynthesizer

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    summary = StatsSynthesizer(spec).write(out, n_lines=lines, duration=duration, seed=seed_or_global(seed),
                                          workers=workers, formats=chosen)
    typer.echo(f"wrote {summary.lines} lines, {summary.sessions} sessions ({summary.anomalous_sessions} anomalous, "
               f"{summary.anomalous_lines} anomalous lines) to {summary.out_dir}")
