"""Method sources for LLM prompts: the text of every method a path runs through, from the call graph.

    sources = method_sources(graph)                 # {"DataNode$DataXceiver.writeBlock": "void writeBlock(...) {...}"}
    context = CheckContext(statements=by_id, sources=sources, mutations=MutationIndex.scan(graph.scan.root))

Overloads share one ``Class.method`` name, so their texts are joined. A text longer than ``max_chars`` is cut
(with a marker line), so one huge method cannot crowd out the rest of the prompt.
"""

from __future__ import annotations

from synthlog.code.callgraph import CallGraph


def method_sources(graph: CallGraph, max_chars: int = 6000) -> dict[str, str]:
    """``Class.method`` -> source text of that method (all overloads), read from the scanned files."""
    files: dict[str, bytes] = {}
    texts: dict[str, list[str]] = {}
    for mid in sorted(graph.methods):
        method = graph.methods[mid]
        if method.file not in files:
            files[method.file] = (graph.scan.root / method.file).read_bytes()
        text = files[method.file][method.info.start_byte:method.info.end_byte].decode("utf-8", "replace")
        texts.setdefault(method.display, []).append(text)
    out = {}
    for name, parts in texts.items():
        text = "\n\n".join(parts)
        out[name] = text if len(text) <= max_chars else text[:max_chars] + "\n/* ... cut: method too long ... */"
    return out
