"""Commands that generate labeled synthetic data sets: from source code, from a statistics spec."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, say, seed_or_global

generate_app = typer.Typer(help="Generate labeled synthetic logs.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")


# --- generate stats -----------------------------------------------------------------------------------------


@generate_app.command("stats")
def generate_stats(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, help="Statistics spec (YAML)."),
    out: str = typer.Option(..., "--out", "-o", help="Output directory, or a stream: - (stdout), "
                            "syslog://HOST:PORT, syslog+tcp://HOST:PORT, otlp+http://HOST:PORT."),
    duration: str | None = typer.Option(None, "--duration", help="Simulated time to cover, e.g. 10m, 1h, 2d."),
    lines: int | None = typer.Option(None, "--lines", help="Number of log lines to write."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed (default: the global --seed)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Run shards on a dask LocalCluster of N workers."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run shards on an existing dask scheduler, "
                                         "e.g. tcp://host:8786 (same bytes as one process)."),
    formats: str = typer.Option("jsonl,raw,csv", "--formats",
                                help="Files to write: jsonl (NAME.jsonl), raw (NAME.log), csv (Loghub CSVs), "
                                     "parquet (NAME.parquet), otel (NAME.otel.json); to a stream one of otel, "
                                     "jsonl (default otel)."),
    rate: float | None = typer.Option(None, "--rate", help="Stream at most this many lines per second."),
    follow: bool = typer.Option(False, "--follow", help="Stream until interrupted (Ctrl-C stops cleanly)."),
    label_window: str | None = typer.Option(None, "--label-window",
                                            help="Also label windows of this length (e.g. 1m): window_label.csv."),
    paraphrase: int = typer.Option(0, "--paraphrase", min=0,
                                   help="Ask an LLM for N other wordings of every template (needs --llm-url/-model)."),
    llm_url: str | None = typer.Option(None, "--llm-url", help="OpenAI-compatible base URL (with --paraphrase)."),
    llm_model: str | None = typer.Option(None, "--llm-model", help="Model name (with --paraphrase)."),
    allow_llm_failures: bool = typer.Option(False, "--allow-llm-failures", help="Go on without the answers of "
                                            "failed LLM requests (default: a failed request stops the run)."),
    max_memory: str | None = typer.Option(None, "--max-memory", help="Refuse a run whose shards would need more "
                                          "memory than this, e.g. 4G (default: half of this machine's memory)."),
    shard_lines: int | None = typer.Option(None, "--shard-lines", min=1, help="Write each format as a folder of "
                                           "part files of about N lines (part-00000.log, ...), written by the "
                                           "workers; listed in the output manifest."),
) -> None:
    """Simulate a spec: events JSONL, raw log, Loghub structured/templates CSVs and anomaly_label.csv."""
    from synthlog.errors import InputError
    from synthlog.stats.shards import parse_size
    from synthlog.stats.simulate import StatsSynthesizer
    from synthlog.stats.specfile import load_spec

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not chosen:
        raise InputError("name at least one format (jsonl, raw, csv, parquet, otel)", field="--formats")
    try:
        budget = None if max_memory is None else parse_size(max_memory)
    except ValueError as exc:
        raise InputError(str(exc), field="--max-memory") from None
    loaded = load_spec(spec)
    if paraphrase:
        if not (llm_url and llm_model):
            raise InputError("--paraphrase needs --llm-url and --llm-model", field="--paraphrase")
        from synthlog.stats.paraphrase import paraphrase_with

        loaded, report = paraphrase_with(loaded, llm_url, llm_model, paraphrase, allow_failures=allow_llm_failures)
        say(f"paraphrase: {report.kept} wordings kept, {report.refused} refused, {report.unreadable} unreadable "
            f"answers, {report.failed} failed requests")
    from synthlog.io.sinks import is_stream_target

    if is_stream_target(out):
        if shard_lines is not None:
            raise InputError("part files go into a folder, not to a stream", field="--shard-lines")
        fmt = chosen[0] if chosen and formats != "jsonl,raw,csv" else "otel"
        if len(chosen) > 1 and formats != "jsonl,raw,csv":
            raise InputError("a stream carries one format: give one of otel, jsonl", field="--formats")
        sent = StatsSynthesizer(loaded).stream(out, fmt, n_lines=lines, duration=duration, seed=seed_or_global(seed),
                                               rate=rate, follow=follow)
        say(f"sent {sent} events to {out}")
        return
    if rate is not None or follow:
        raise InputError("--rate and --follow pace a stream: give --out -, syslog://... or otlp+http://...",
                         field="--out")
    summary = StatsSynthesizer(loaded).write(out, n_lines=lines, duration=duration, seed=seed_or_global(seed),
                                            workers=workers, formats=chosen, label_window=label_window,
                                            max_memory=budget, scheduler=scheduler, shard_lines=shard_lines)
    typer.echo(f"wrote {summary.lines} lines, {summary.sessions} sessions ({summary.anomalous_sessions} anomalous, "
               f"{summary.anomalous_lines} anomalous lines) to {out}")


# --- generate code ------------------------------------------------------------------------------------------


@generate_app.command("code")
def generate_code(
    src: Path = typer.Argument(..., exists=True, help="Source tree to analyse (Java and/or Python)."),
    out: str = typer.Option(..., "--out", "-o", help="Output directory for the labeled data set, or a stream: - "
                            "(stdout), syslog://HOST:PORT, syslog+tcp://HOST:PORT, otlp+http://HOST:PORT."),
    entry: list[str] = typer.Option([], "--entry", "-e", help="Entry point CLASS.METHOD (repeatable) or 'auto': "
                                    "one session per path run."),
    recipe: Path | None = typer.Option(None, "--recipe", exists=True, dir_okay=False,
                                       help="Composition recipe (YAML): entity sessions across components."),
    n: int = typer.Option(1000, "-n", "--sessions", min=1, help="Number of sessions."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed (default: the global --seed)."),
    align_to: Path | None = typer.Option(None, "--align-to", exists=True, dir_okay=False,
                                         help="Real templates CSV: matching templates take its ids."),
    log_format: str | None = typer.Option(None, "--log-format", help="Layout of the raw lines: a built-in name, a "
                                          "Loghub format string or a log4j pattern (default: the recipe's, else "
                                          "the code base's logging configuration)."),
    start: str | None = typer.Option(None, "--start", help="Time of the first session, ISO 8601 UTC (default: the "
                                     "recipe's, else 2024-01-01T00:00:00)."),
    min_level: str = typer.Option("INFO", "--min-level", help="Drop lines below this level."),
    fault_rate: float = typer.Option(0.05, "--fault-rate", min=0.0, max=1.0,
                                     help="Share of per-path sessions that take an anomalous path."),
    rules: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False, help="Label rules (YAML)."),
    values_from: Path | None = typer.Option(None, "--values-from", exists=True,
                                            help="Learn value shapes from a real data set (directory or structured "
                                            "CSV); no real value is copied unless --allow-real-values."),
    allow_real_values: bool = typer.Option(False, "--allow-real-values",
                                           help="Let --values-from copy real values verbatim."),
    calibrate: str | None = typer.Option(None, "--calibrate", help="Calibrate the recipe's stages, run counts, "
                                         "label evidence and timing from a labeled real data set (shared name or "
                                         "directory); give it your training part only."),
    checker: str = typer.Option("heuristic", "--checker", help="heuristic (offline) or llm."),
    llm_url: str | None = typer.Option(None, "--llm-url", help="OpenAI-compatible base URL (with --checker llm)."),
    llm_model: str | None = typer.Option(None, "--llm-model", help="Model name (with --checker llm)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Cache of checker verdicts (and LLM answers)."),
    allow_llm_failures: bool = typer.Option(False, "--allow-llm-failures", help="Reject the paths whose LLM "
                                            "request failed and go on (default: a failed request stops the run)."),
    depth: int = typer.Option(3, "--depth", min=0, help="Inline callees up to this depth."),
    unroll: int = typer.Option(2, "--unroll", min=0, help="Run each loop body 0..k times."),
    max_paths: int = typer.Option(400, "--max-paths", min=1, help="Paths kept per entry point."),
    workers: int = typer.Option(1, "--workers", min=1, help="Make and render sessions in N local processes "
                                 "(same bytes as one process)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Make sessions on an existing dask scheduler, "
                                         "e.g. tcp://host:8786 (same bytes as one process)."),
    formats: str | None = typer.Option(None, "--formats", help="Event files to add to the folder: parquet "
                                       "(NAME.parquet), otel (NAME.otel.json); to a stream one of otel, jsonl "
                                       "(default otel)."),
    rate: float | None = typer.Option(None, "--rate", help="Stream at most this many lines per second."),
    follow: bool = typer.Option(False, "--follow", help="Stream until interrupted (Ctrl-C stops cleanly)."),
    shard_lines: int | None = typer.Option(None, "--shard-lines", min=1, help="Write each event format as a folder "
                                           "of part files of N lines (part-00000.log, ...), consecutive in time; "
                                           "listed in the output manifest."),
) -> None:
    """Generate labeled log sessions from source code: per-path sessions (--entry) or entity sessions (--recipe)."""
    from synthlog.code.paths import PathOptions
    from synthlog.synth.checking.factory import make_checker
    from synthlog.synth.generate import CodeGenConfig
    from synthlog.synth.generate import generate_code as run

    chosen = make_checker(checker, llm_url=llm_url, llm_model=llm_model, cache_dir=cache_dir,
                          allow_failures=allow_llm_failures)
    config = CodeGenConfig(entries=entry, recipe=recipe, align_to=align_to, log_format=log_format,
                           min_level=min_level, fault_rate=fault_rate, rules=rules, values_from=values_from,
                           allow_real_values=allow_real_values, checker=chosen, cache_dir=cache_dir, start=start,
                           calibrate=calibrate,
                           paths=PathOptions(depth=depth, unroll=unroll, max_paths=max_paths,
                                             seed=seed_or_global(seed)))
    chosen_formats = tuple(f.strip() for f in (formats or "").split(",") if f.strip())
    summary = run(src, out, n, seed_or_global(seed), config, workers=workers, scheduler=scheduler,
                  formats=chosen_formats, rate=rate, follow=follow, shard_lines=shard_lines)
    if "sent" in summary:
        say(f"sent {summary['sent']} events to {out}")
        return
    labels = summary["labels"]
    typer.echo(f"wrote {summary['sessions']} sessions ({labels.get('Anomaly', 0)} anomalous), {summary['lines']} "
               f"lines, {summary['templates']} templates to {out}; {summary['paths']['rejected']} of "
               f"{summary['paths']['checked']} paths rejected by the checker")
