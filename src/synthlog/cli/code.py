"""Commands that analyse source code: scan, match, paths, graph."""

from __future__ import annotations

from pathlib import Path

import typer

from synthlog.cli.app import app, say, seed_or_global
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
    out: Path = typer.Option(..., "--out", "-o", help="Matches CSV to write, one row per template."),
    templates: Path | None = typer.Option(None, "--templates", "-t",
                                          help="Templates CSV (EventId,EventTemplate[,...]); default: from --logs."),
    logs: Path | None = typer.Option(None, "--logs", "-l", help="Loghub structured CSV, or a raw log with --format: "
                                     "the class, source line, level and thread its lines show decide ties."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Format of a raw --logs file (name or string; "
                                   "default: the built-in format that fits)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of relative paths to skip, e.g. '*/test/*'."),
    threshold: float = typer.Option(THRESHOLD, "--threshold", min=0.0, max=1.0, help="Lowest score taken as a match."),
) -> None:
    """Map each template of a real data set to the logging statement that prints it (ties listed, never silent)."""
    from synthlog.code.match import coverage, match_code, write_matches_csv

    matches, statements = match_code(src, templates, logs, fmt, exclude, threshold)
    write_matches_csv(matches, out)
    typer.echo(f"{coverage(matches, statements).summary()} -> {out}")


# --- control flow and paths (lcfg / callgraph / paths / export) --------------------------------------------------

@code_app.command("paths")
def paths_command(
    src: Path = typer.Argument(..., help="Source tree to analyse (Java and Python files)."),
    entry: list[str] = typer.Option(..., "--entry", "-e", help="Entry method Class.method (repeatable), or 'auto'."),
    out: Path = typer.Option(..., "--out", "-o", help="Paths JSONL to write (a .summary.json is written beside it)."),
    depth: int = typer.Option(3, "--depth", min=0, help="Inline calls to methods that may log up to this depth."),
    unroll: int = typer.Option(2, "--unroll", min=0, help="Run each loop body 0..N times."),
    max_paths: int = typer.Option(200, "--max-paths", min=1, help="Distinct log sequences kept per entry (sampled)."),
    budget: int = typer.Option(100_000, "--budget", min=1, help="Graph nodes explored per entry before sampling."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Sampling seed (default: the global --seed)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of relative paths to skip, e.g. '*/test/*'."),
) -> None:
    """List the distinct log-statement sequences from each entry method to each of its exits."""
    from synthlog.code.callgraph import build_call_graph
    from synthlog.code.paths import PathOptions, enumerate_paths, write_paths

    graph = build_call_graph(src, exclude)
    say(f"call graph: {len(graph.methods)} methods, {len(graph.may_log)} may log ({graph.seconds:.2f} s)")
    options = PathOptions(depth=depth, unroll=unroll, max_paths=max_paths, work_budget=budget,
                          seed=seed_or_global(seed))
    result = enumerate_paths(graph, entry, options)
    side = write_paths(result, out)
    typer.echo(f"{result.summary()} -> {out} (+ {side.name})")


@code_app.command("graph")
def graph_command(
    src: Path = typer.Argument(..., help="Source tree to analyse."),
    method: list[str] = typer.Option(..., "--method", "-m", help="Method Class.method (repeatable; all overloads)."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write: .json or .dot (or --format)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="json, dot or both (default: from the extension)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of relative paths to skip, e.g. '*/test/*'."),
) -> None:
    """Write the log-oriented control-flow graph of methods as JSON or Graphviz DOT."""
    from synthlog.code.callgraph import build_call_graph
    from synthlog.code.export import export_methods

    graphs, written = export_methods(build_call_graph(src, exclude), method, out, fmt)
    nodes = sum(len(g.nodes) for g in graphs)
    typer.echo(f"{len(graphs)} graphs, {nodes} nodes -> {', '.join(str(p) for p in written)}")
