"""Where the source changes each variable: what an execution path does not show, so a checker must not assume.

Paths only record literal assignments (``x = null``, ``done = true``); ``x = create()``, ``n++`` or
``queue.add(e)`` are invisible. :class:`MutationIndex` scans the source once so the heuristic checker can forget
a fact about ``x`` when ``x`` may have changed between two steps of the same method (an assignment to it, or for
facts about call results like ``q.isEmpty()``, a method called on ``q``, at a source line between the steps),
and never learns facts about fields that may change under it: ``volatile`` fields and fields assigned in more
than one method (other threads and callbacks set them).

Usage::

    index = MutationIndex.scan("/path/to/src")              # Java (tree-sitter) and Python (ast) files
    context = CheckContext(statements=by_id, mutations=index)
"""

from __future__ import annotations

import ast
import bisect
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from synthlog.code.java import parse_java
from synthlog.code.scan import ScanResult
from synthlog.progress import track

_METHODS = {"method_declaration", "constructor_declaration", "lambda_expression", "static_initializer"}
_LOCAL_DECLARATIONS = {"variable_declarator", "formal_parameter", "catch_formal_parameter", "enhanced_for_statement",
                       "spread_parameter", "inferred_parameters", "resource"}


@dataclass
class FileMutations:
    """One file's assignment and method-call lines per variable name, and its unstable fields."""

    assigned: dict[str, list[int]] = field(default_factory=dict)  # name -> sorted lines
    invoked: dict[str, list[int]] = field(default_factory=dict)  # receiver name -> sorted lines of calls on it
    unstable: set[str] = field(default_factory=set)  # volatile fields, fields assigned in several methods
    locals: set[str] = field(default_factory=set)  # names declared as local variables or parameters

    def changes(self, name: str, low: int, high: int, calls: bool) -> bool:
        """Whether ``name`` may change at a line in ``[low, high]`` (method calls on it count if ``calls``)."""
        for table in (self.assigned, self.invoked) if calls else (self.assigned,):
            lines = table.get(name)
            if lines:
                i = bisect.bisect_left(lines, low)
                if i < len(lines) and lines[i] <= high:
                    return True
        return False


def _name_of(node) -> str | None:
    """``x`` -> x, ``this.x`` -> x, ``a.b`` -> a.b; None for array elements and other targets."""
    if node.type == "identifier":
        return node.text.decode("utf-8", "replace")
    if node.type == "field_access":
        obj, fld = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj is not None and fld is not None:
            name = fld.text.decode("utf-8", "replace")
            return name if obj.type == "this" else f"{obj.text.decode('utf-8', 'replace')}.{name}"
    return None


def _scan_java(source: bytes, tree=None) -> FileMutations:
    assigned: dict[str, set[int]] = defaultdict(set)
    invoked: dict[str, set[int]] = defaultdict(set)
    methods_assigning: dict[str, set[int]] = defaultdict(set)
    fields: set[str] = set()
    volatile: set[str] = set()
    local_names: set[str] = set()
    stack = [((tree or parse_java(source)).root_node, None)]
    while stack:
        node, method = stack.pop()
        line = node.start_point[0] + 1
        target = None
        if node.type in _METHODS:
            method = node.start_byte if node.type != "constructor_declaration" else -1
        elif node.type == "assignment_expression":
            target = node.child_by_field_name("left")
        elif node.type == "update_expression":
            target = next((c for c in node.named_children), None)
        elif node.type == "enhanced_for_statement" or (
                node.type == "variable_declarator" and node.child_by_field_name("value") is not None):
            target = node.child_by_field_name("name")
        if node.type in _LOCAL_DECLARATIONS:
            name_node = node.child_by_field_name("name")
            if name_node is None:
                name_node = next((c for c in node.named_children if c.type == "identifier"), None)
            in_field = node.type == "variable_declarator" and node.parent.type == "field_declaration"
            if name_node is not None and not in_field:
                local_names.add(name_node.text.decode("utf-8", "replace"))
        if node.type == "method_invocation":
            receiver = node.child_by_field_name("object")
            name = _name_of(receiver) if receiver is not None else None
            if name:
                invoked[name].add(line)
        elif node.type == "field_declaration":
            modifiers = next((c for c in node.children if c.type == "modifiers"), None)
            is_volatile = modifiers is not None and "volatile" in modifiers.text.decode("utf-8", "replace").split()
            for declarator in node.named_children:
                if declarator.type == "variable_declarator":
                    name = declarator.child_by_field_name("name").text.decode("utf-8", "replace")
                    fields.add(name)
                    if is_volatile:
                        volatile.add(name)
        if target is not None:
            name = _name_of(target)
            if name:
                assigned[name].add(line)
                if method is not None and method != -1:
                    methods_assigning[name].add(method)
        stack.extend((child, method) for child in reversed(node.children))
    unstable = volatile | {n for n in fields if len(methods_assigning.get(n, ())) > 1}
    return FileMutations({k: sorted(v) for k, v in assigned.items()}, {k: sorted(v) for k, v in invoked.items()},
                         unstable, local_names)


def _scan_python(source: str) -> FileMutations:
    assigned: dict[str, set[int]] = defaultdict(set)
    invoked: dict[str, set[int]] = defaultdict(set)
    functions_assigning: dict[str, set[int]] = defaultdict(set)
    local_names: set[str] = set()

    def target_name(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr if node.value.id == "self" else f"{node.value.id}.{node.attr}"
        return None

    def visit(node: ast.AST, function: int | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            function = node.lineno if getattr(node, "name", "") != "__init__" else None
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.NamedExpr | ast.For | ast.AsyncFor):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = target_name(node.func.value)
            if name:
                invoked[name].add(node.lineno)
        while any(isinstance(t, ast.Tuple | ast.List) for t in targets):
            targets = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple | ast.List) else [t])]
        if isinstance(node, ast.arg):
            local_names.add(node.arg)
        for target in targets:
            name = target_name(target)
            if isinstance(target, ast.Name):
                local_names.add(target.id)
            if name:
                assigned[name].add(target.lineno)
                if function is not None and isinstance(target, ast.Attribute):
                    functions_assigning[name].add(function)
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    unstable = {n for n, fs in functions_assigning.items() if len(fs) > 1}
    return FileMutations({k: sorted(v) for k, v in assigned.items()}, {k: sorted(v) for k, v in invoked.items()},
                         unstable, local_names)


class MutationIndex:
    """Per-file :class:`FileMutations`, found by class name (Java) or module/class name (Python)."""

    def __init__(self) -> None:
        self.files: dict[str, FileMutations] = {}
        self.file_of: dict[str, str] = {}  # class or module simple name -> file

    @classmethod
    def scan(cls, root: str | os.PathLike[str]) -> MutationIndex:
        index = cls()
        base = Path(root)
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.suffix in (".java", ".py"))
        for path in track(paths, "indexing assignments"):  # ~3.5 s for Hadoop 0.18's 948 files
            rel = path.name if path == base else path.relative_to(base).as_posix()
            try:
                if path.suffix == ".java":
                    index.add(rel, _scan_java(path.read_bytes()), [path.stem])
                else:
                    text = path.read_text(encoding="utf-8", errors="replace")
                    classes = [n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ClassDef)]
                    index.add(rel, _scan_python(text), [path.stem, *classes])
            except (SyntaxError, ValueError):
                continue  # a file that does not parse teaches nothing; its facts stay unguarded
        return index

    @classmethod
    def from_scan(cls, result: ScanResult) -> MutationIndex:
        """The index of a finished scan, reusing its Java trees (the same as :meth:`scan` of its root)."""
        index = cls()
        for rel in track(sorted([*result.java_files, *result.python_files]), "indexing assignments"):
            stem = Path(rel).stem
            if rel in result.java_files:
                java = result.java_files[rel]
                index.add(rel, _scan_java(java.source, java.tree), [stem])
                continue
            text = result.python_files[rel].source.decode("utf-8", errors="replace")
            try:
                classes = [n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ClassDef)]
                index.add(rel, _scan_python(text), [stem, *classes])
            except (SyntaxError, ValueError):
                continue
        return index

    def add(self, file: str, mutations: FileMutations, names: list[str]) -> None:
        self.files[file] = mutations
        for name in names:
            self.file_of.setdefault(name, file)

    def for_method(self, method: str) -> FileMutations | None:
        """The mutations of the file that defines ``Class.method`` (``Outer$Inner.m`` is in ``Outer``'s file)."""
        owner = method.rsplit(".", 1)[0] if "." in method else method
        for name in (owner.split("$", 1)[0], owner.rsplit(".", 1)[-1], owner):
            file = self.file_of.get(name)
            if file is not None:
                return self.files[file]
        return None
