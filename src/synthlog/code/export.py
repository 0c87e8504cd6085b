"""Write LCFGs as JSON (nodes and edges, for tools) and as Graphviz DOT (for people)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from synthlog.code.callgraph import CallGraph
from synthlog.code.lcfg import Lcfg, LNode
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_files

FORMATS = ("json", "dot")


def lcfg_to_dict(graph: Lcfg) -> dict[str, Any]:
    """``{"method", "nodes": [{id, kind, ...}], "edges": [{source, target, back?, exc?}]}``.

    ``exc`` on an edge: a list of caught types (into a handler) or ``[]`` (an uncaught callee exception's route).
    """
    nodes = [{"id": i, **node.to_dict()} for i, node in enumerate(graph.nodes)]
    edges = []
    for source, targets in enumerate(graph.succ):
        for target, back, exc in targets:
            edge: dict[str, Any] = {"source": source, "target": target}
            if back:
                edge["back"] = True
            if exc is not None:
                edge["exc"] = list(exc)
            edges.append(edge)
    return {"method": graph.method, "loops": graph.loops, "approximate": graph.approximate, "nodes": nodes,
            "edges": edges}


def _label(node: LNode, names: dict[str, str]) -> str:
    if node.kind == "log":
        return f"log {names.get(node.statement or '', node.statement)}"
    if node.kind == "call":
        return "call " + " | ".join(node.callees)
    if node.kind == "cond":
        return f"{node.expr} == {str(node.outcome).lower()}"
    if node.kind == "assign":
        return f"{node.target} = {node.expr}"
    if node.kind == "exit":
        return f"exit {node.exit}"
    if node.kind == "loop":
        return f"loop {node.loop}"
    return node.kind


_SHAPES = {"log": "box", "call": "component", "cond": "diamond", "assign": "note", "entry": "circle",
           "exit": "doublecircle", "loop": "point"}


def lcfg_to_dot(graph: Lcfg, names: dict[str, str] | None = None) -> str:
    """Graphviz DOT text; ``names`` maps statement ids to a readable label (e.g. their templates)."""
    names = names or {}
    lines = [f"digraph {json.dumps(graph.method)} {{", "  node [fontname=Helvetica, fontsize=10];"]
    for i, node in enumerate(graph.nodes):
        line = f" (line {node.line})" if node.line else ""
        lines.append(f"  n{i} [shape={_SHAPES.get(node.kind, 'box')}, label={json.dumps(_label(node, names) + line)}];")
    for source, targets in enumerate(graph.succ):
        for target, back, exc in targets:
            attrs = []
            if back:
                attrs.append("style=dashed")
            if exc is not None:
                attrs.append("color=red")
                attrs.append(f"label={json.dumps('|'.join(exc) if exc else 'uncaught')}")
            lines.append(f"  n{source} -> n{target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_lcfg(graphs: list[Lcfg], out: str | os.PathLike[str], fmt: str | None = None,
               names: dict[str, str] | None = None) -> list[Path]:
    """Write ``graphs`` to ``out`` as ``fmt`` (json or dot; by default from the extension, ``both`` writes
    ``out`` with .json and .dot). Several graphs: one JSON list, or one DOT file with one digraph each."""
    path = Path(out)
    if fmt is None:
        fmt = path.suffix.lstrip(".").lower()
        if fmt == "gv":
            fmt = "dot"
    both = [(path.with_suffix(".json"), "json"), (path.with_suffix(".dot"), "dot")]
    chosen = both if fmt == "both" else [(path, fmt)]
    if fmt != "both" and fmt not in FORMATS:
        raise InputError(f"unknown graph format {fmt!r} (json, dot or both; or name the file .json / .dot)",
                         field="--format")
    with atomic_files() as files:  # both formats appear together or neither
        for target, kind in chosen:
            with files.open(target, "w") as fh:
                if kind == "json":
                    data = [lcfg_to_dict(g) for g in graphs]
                    json.dump(data[0] if len(data) == 1 else data, fh, indent=1)
                    fh.write("\n")
                else:
                    fh.write("".join(lcfg_to_dot(g, names) for g in graphs))
    return [target for target, _ in chosen]


def export_methods(graph: CallGraph, methods: list[str], out: str | os.PathLike[str],
                   fmt: str | None = None) -> tuple[list[Lcfg], list[Path]]:
    """Write the LCFGs of ``methods`` (``Class.method``, every overload) of a call graph; nodes are labelled with
    their statements' level and template. Returns the graphs and the files written."""
    ids = [mid for name in methods for mid in graph.find(name)]
    if not ids:
        raise InputError(f"no method {', '.join(methods)} in the code base", field="--method")
    graphs = [graph.lcfg(mid) for mid in ids]
    names = {s.id: f"{s.level} {s.template}" for s in graph.scan.statements}
    return graphs, write_lcfg(graphs, out, fmt, names)
