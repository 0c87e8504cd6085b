"""Logging statements specialised per call site: a helper's String parameter filled with the literal a caller passes.

``Environment.logEnv("Server environment:", LOG)`` runs ``log.info(msg + e.toString())``: the statement alone reads
``<*><*>``, but called from there it prints ``Server environment:<*>``. For every Java statement with a slot that is
exactly a parameter of its method, each call site the call graph resolves to that method, whose argument folds to
literal text, gives one more statement: same id, file and line (the same line of code prints it), that slot replaced
by the literal. One level of calls is followed.
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import Node

from synthlog.code.callgraph import CallGraph, build_call_graph
from synthlog.code.java import literal_text
from synthlog.code.records import Statement
from synthlog.code.scan import ScanResult
from synthlog.code.template import WILDCARD


def specialise(result: ScanResult, graph: CallGraph | None = None) -> list[Statement]:
    """The scan's statements followed by their call-site specialisations (in a stable order, no duplicates)."""
    if not any(s.language == "java" and s.args for s in result.statements):
        return list(result.statements)
    graph = graph if graph is not None else build_call_graph(result)
    by_id = {s.id: s for s in result.statements}
    # method id -> [(statement, [(slot, parameter position)])]
    helpers: dict[str, list[tuple[Statement, list[tuple[int, int]]]]] = {}
    for mid in sorted(graph.methods):
        method = graph.methods[mid]
        if method.language != "java" or not method.logs:
            continue
        params = [name for name, _ in method.info.params]
        for span in sorted(method.logs):
            statement = by_id.get(method.logs[span])
            if statement is None:
                continue
            slots = [(i, params.index(arg)) for i, arg in enumerate(statement.args) if arg in params]
            if slots:
                helpers.setdefault(mid, []).append((statement, slots))
    derived: dict[tuple[str, str], Statement] = {}
    for mid in sorted(graph.methods):
        caller = graph.methods[mid]
        if not caller.calls or caller.sites is None:
            continue
        sites = {(n.start_byte, n.end_byte): n for n in caller.sites.calls}
        for span in sorted(caller.calls):
            site = sites.get(span)
            for target in caller.calls[span]:
                if site is None or target not in helpers:
                    continue
                arguments = _arguments(site)
                if len(arguments) != graph.methods[target].arity:
                    continue
                java = result.java_files[caller.file]
                for statement, slots in helpers[target]:
                    values = {slot: literal_text(java, arguments[param]) for slot, param in slots}
                    special = _filled(statement, {k: v for k, v in values.items() if v is not None})
                    if special is not None:
                        derived.setdefault((special.id, special.template), special)
    return [*result.statements, *derived.values()]


def _arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return [a for a in args.named_children if a.type not in ("line_comment", "block_comment")]


def _filled(statement: Statement, values: dict[int, str]) -> Statement | None:
    """``statement`` with the slots in ``values`` replaced by their text (None when nothing is filled)."""
    parts = statement.template.split(WILDCARD)
    if not values or len(parts) != len(statement.args) + 1:
        return None
    text, args = [parts[0]], []
    for slot, arg in enumerate(statement.args):
        if slot in values:
            text.append(values[slot])
        else:
            text.append(WILDCARD)
            args.append(arg)
        text.append(parts[slot + 1])
    return replace(statement, template="".join(text), args=args)
