"""The detector benchmark command: real, synthetic and augmented training regimes."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, say


@app.command("bench")
def bench_command(
    config: Path = typer.Argument(..., help="Bench config (YAML): data, split, regimes, ratios, detectors, seeds."),
    out: Path = typer.Option(..., "--out", "-o",
                             help="Directory for results.csv (grows as cells finish), results.json, summary.md, "
                                  "coverage.json, plots/."),
    synthetic: list[str] = typer.Option(None, "--synthetic", "-s",
                                        help="Add a synthetic data set (directory or name); repeatable."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1,
                             help="Run seeds and cells in this many forked local processes (same results)."),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="Run seeds and cells on a dask LocalCluster of N workers (same results)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Run seeds and cells on an existing dask scheduler, e.g. "
                                              "tcp://host:8786 (same results)."),
) -> None:
    """Train detectors on real, synthetic and augmented data; test on held-out real sessions over seeds."""
    from synthlog.detect.bench import bench

    result, paths = bench(config, out, synthetic=synthetic or [], jobs=jobs, workers=workers, scheduler=scheduler,
                          warn=lambda message: typer.echo(f"warning: {message}", err=True))
    say(f"summary: {paths['summary']} (coverage: {paths['coverage']})")
    typer.echo(f"wrote {paths['csv']} ({len(result.rows)} rows, {len(result.config.detectors)} detectors, "
               f"{len(result.config.seeds)} seeds)")
