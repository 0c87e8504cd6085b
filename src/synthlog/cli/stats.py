"""Commands around statistics specs: spec schema/check, profile, validate."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, say, seed_or_global
from synthlog.errors import ConfigError

spec_app = typer.Typer(help="Print the spec's JSON Schema or check a spec file.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")


# --- spec schema / spec check -------------------------------------------------------------------------------


@spec_app.command("schema")
def spec_schema() -> None:
    """Print the JSON Schema of statistics specs."""
    from synthlog.stats.specfile import spec_json_schema

    typer.echo(spec_json_schema())


@spec_app.command("check")
def spec_check(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Spec file (YAML).")) -> None:
    """Check a spec file; print every problem as FILE:LINE: field: message (exit 2 when there is any)."""
    from synthlog.stats.specfile import check_spec_file

    spec, problems = check_spec_file(path)
    for problem in problems:
        typer.echo(f"error: {problem.error(path)}", err=True)
    if spec is None:
        raise ConfigError(f"{len(problems)} problem(s) found, nothing was run", path=path)
    typer.echo(f"{path}: ok ({len(spec.services)} services, {len(spec.messages())} messages, "
               f"{len(spec.causal)} causal rules, {len(spec.anomalies)} anomaly scenarios, "
               f"{len(spec.sessions)} session processes)")


# --- profile / validate (privacy-preserving profiler and validation metrics) -----------------------------------

SESSIONS_HELP = ("Sessions of a raw or structured log: blk, entity:REGEX, window:SECONDS, sliding:SIZE,STEP, "
                 "sliding-time:SIZE,STEP (as for parse). Default: guessed from the lines (an id most lines carry, "
                 "else time windows of about 20 lines) and printed.")
LINE_LABELS_HELP = "Label lines from a header: HEADER:NORMAL_VALUE (e.g. Label:- for BGL); sessions take any anomaly."


@app.command("profile")
def profile(
    logs: str = typer.Argument(..., help="Raw log (with --format), Loghub *_structured.csv, data set dir or name."),
    out: Path = typer.Option(..., "--out", "-o", help="Spec file to write (YAML)."),
    log_format: str | None = typer.Option(None, "--format", "-f", help="Log format name (hdfs ...) or string "
                                          "(default: a built-in format that fits, else inferred from the lines)."),
    labels: Path | None = typer.Option(None, "--labels", exists=True, dir_okay=False,
                                       help="Session labels CSV (Id,Label), e.g. anomaly_label.csv."),
    session_pattern: str | None = typer.Option(None, "--session-pattern",
                                               help="Regex of session ids in lines (default: guessed)."),
    sessions: str | None = typer.Option(None, "--sessions", "-s", help=SESSIONS_HELP),
    line_labels: str | None = typer.Option(None, "--line-labels", help=LINE_LABELS_HELP),
    epsilon: float | None = typer.Option(None, "--epsilon", help="One differential-privacy budget for every released "
                                         "count (discrete Laplace; keep --seed secret; needs synthlog[privacy])."),
    max_session_lines: int = typer.Option(32, "--max-session-lines", min=1, help="With --epsilon: lines of a "
                                          "session that count (its first N; bounds one session's contribution)."),
    min_sessions: int = typer.Option(5, "--min-sessions", min=1,
                                     help="k: sessions a template, a verbatim value or an anomaly type needs."),
    min_count: int = typer.Option(1, "--min-count", min=1, help="Lines a template needs to be kept."),
    summary: Path | None = typer.Option(None, "--summary", help="Also write the profile summary (JSON): exact "
                                        "counts, observed causal pairs with lags, anomaly types (for the data owner; "
                                        "not noised)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed of the noise (default: the global --seed)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Profile chunks and parts of a raw log on a dask "
                                "LocalCluster of N workers."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Profile chunks and parts of a raw log on an "
                                         "existing dask scheduler, e.g. tcp://host:8786 (the output's folder must "
                                         "be shared with the workers)."),
    part_lines: int = typer.Option(250_000, "--part-lines", min=1, help="Lines of sessions one task profiles "
                                   "together (its memory: about 2 KB a line)."),
    chunk_bytes: int = typer.Option(16 << 20, "--chunk-bytes", min=1, help="Bytes of the raw log one task reads."),
) -> None:
    """Derive a statistics spec from real logs: no raw parameter value, optional differential-privacy noise."""
    from synthlog.stats.profile import ProfileOptions, profile_to_file

    options = ProfileOptions(epsilon=epsilon, seed=seed_or_global(seed), min_sessions=min_sessions,
                             min_count=min_count, max_session_lines=max_session_lines)
    seen = profile_to_file(logs, out, log_format=log_format, labels=labels, session_pattern=session_pattern,
                           sessions=sessions, line_labels=line_labels, options=options, summary_out=summary,
                           workers=workers, scheduler=scheduler, chunk_bytes=chunk_bytes, part_lines=part_lines)
    say(f"profiled {seen.events} events in {seen.sessions} sessions ({seen.anomalous_sessions} anomalous)")
    if seen.session_spec is not None:
        say(f"sessions: --sessions {seen.session_spec['spec']} (guessed: {seen.session_spec['guessed']}; give "
            "--sessions to choose)")
    if seen.layout is not None:
        say(f"layout ({seen.layout['source']}): {seen.layout['format']}; time "
            f"{' + '.join(seen.layout['time'].values()) or 'none'}; levels {' '.join(seen.layout['levels'])}")
    typer.echo(f"{out}: {seen.templates} templates, {len(seen.anomaly_types) - 1} anomaly types, "
               f"{len(seen.causal_pairs)} causal pairs observed")
    if seen.privacy_budget is not None:
        say(f"epsilon {seen.privacy_budget['spent']:g} spent over "
            + ", ".join(f"{f['family']} {f['epsilon']:.3g}" for f in seen.privacy_budget["families"]))
        if options.seed == 0:
            say("warning: --epsilon with seed 0 (the default): anyone can draw the same noise and subtract it; "
                "give a secret --seed")
        if not seen.session_processes:
            say(f"warning: the noise left no session process, so the spec logs nothing: profile more than "
                f"{seen.sessions} sessions, give a larger --epsilon or a smaller --max-session-lines")


@app.command("validate")
def validate(
    reference: str = typer.Argument(..., help="Spec (.yaml) or real logs / data set the output should match."),
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="Generated data set directory."),
    out: Path | None = typer.Option(None, "--out", "-o", help="JSON report (default: DIR/validation.json)."),
    log_format: str | None = typer.Option(None, "--format", "-f", help="Format of a raw REFERENCE log."),
    labels: Path | None = typer.Option(None, "--labels", exists=True, dir_okay=False,
                                       help="Labels of a raw or structured REFERENCE log."),
    session_pattern: str | None = typer.Option(None, "--session-pattern", help="Session id regex of REFERENCE."),
    sessions: str | None = typer.Option(None, "--sessions", "-s", help=SESSIONS_HELP),
    line_labels: str | None = typer.Option(None, "--line-labels", help=LINE_LABELS_HELP),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed of the DCR holdout split."),
    min_sessions: int = typer.Option(5, "--min-sessions", min=1,
                                     help="k: a real token seen in fewer sessions is a leak wherever it appears."),
) -> None:
    """Fidelity (D_errdist, C_temporal, R_anomaly, template and transition similarity, value shapes) and, against
    real data, privacy (leakage of real values, secrets and rare tokens, distance to closest record)."""
    from synthlog.evaluate.report import headline, run_validation

    result, path = run_validation(reference, directory, out=out, log_format=log_format, labels=labels,
                                  session_pattern=session_pattern, sessions=sessions, line_labels=line_labels,
                                  seed=seed_or_global(seed), min_sessions=min_sessions)
    typer.echo(headline(result))
    say(f"wrote {path}")
