"""Python front end: find ``logging`` calls with the ``ast`` module; name classes and functions; byte spans.

Loggers are the ``logging`` module (or an alias), names and attributes assigned from ``getLogger(...)``, and the
conventional names (``logger``, ``log``, ``LOG``, ``self.logger`` ...). Messages built with ``%`` (eager or lazy
arguments), f-strings, ``str.format``, ``+`` and module-level string constants become templates. A file that does
not parse is split at top-level statements and each part that parses is read (the statements are marked partial).
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from synthlog.code.java import MethodInfo, statement_id
from synthlog.code.lcfg import BUILD_RECURSION_LIMIT
from synthlog.code.records import Statement
from synthlog.code.template import PRINTF, STR_FORMAT, Piece, Var, has_literal, printf_choice, render, substitute

LEVELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "warn": "WARN", "error": "ERROR",
          "exception": "ERROR", "critical": "FATAL", "fatal": "FATAL"}
_LEVEL_NAMES = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "WARN": "WARN", "ERROR": "ERROR",
                "CRITICAL": "FATAL", "FATAL": "FATAL", "NOTSET": "INFO"}
CONVENTIONAL_LOGGER = re.compile(r"^_*(?:log|logger|LOG|LOGGER|Logger)$|^\w+_(?:log|logger|LOGGER)$")
GUARD = re.compile(r"\bisEnabledFor\b")
_DEFINITION = re.compile(rb"(?:def|class|async|if|@)\b")  # where a top-level definition may start
_TOP_LEVEL = re.compile(rb"[^\s#)\]}]")  # any top-level statement
# CPython's parser gives up on very deep nesting with RecursionError or MemoryError, not SyntaxError
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


@dataclass(slots=True)
class PythonFile:
    """A parsed Python file (possibly in recovered parts) with its line offsets."""

    source: bytes
    module: str
    trees: list[ast.Module] = field(default_factory=list)
    partial: bool = False
    line_starts: list[int] = field(default_factory=list)

    def byte(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col if line - 1 < len(self.line_starts) else len(self.source)


def parse_python(source: bytes, module: str = "") -> PythonFile:
    """Parse ``source``; on a syntax error parse each top-level statement group on its own and keep what parses."""
    starts = [0] + [m.end() for m in re.finditer(b"\n", source)]
    parsed = PythonFile(source, module, line_starts=starts)
    try:
        parsed.trees = [_parse(source)]
        return parsed
    except _UNPARSABLE:
        parsed.partial = True
    lines = source.split(b"\n")
    parsed.trees = _parse_parts(lines, 0, len(lines), _DEFINITION)
    return parsed


def _parse(data: bytes) -> ast.Module:
    with warnings.catch_warnings():  # invalid escapes and the like in the scanned code are not our problem
        warnings.simplefilter("ignore")
        return ast.parse(data)


def _parse_parts(lines: list[bytes], first: int, last: int, boundary: re.Pattern[bytes],
                 header: bytes = b"") -> list[ast.Module]:
    """Parse lines ``first:last`` in parts cut where ``boundary`` matches; line numbers stay those of the file.

    A part that fails is, if it is a top-level class, parsed method by method under its class line (``header``);
    otherwise cut again at every statement of its level. What still fails is dropped.
    """
    cuts = [n for n in range(first + 1, last) if boundary.match(lines[n])]
    trees = []
    for start, end in zip([first, *cuts], [*cuts, last], strict=True):
        lead = b"\n" * (start - 1) + header + b"\n" if header else b"\n" * start
        try:
            trees.append(_parse(lead + b"\n".join(lines[start:end])))
            continue
        except _UNPARSABLE:
            pass
        if boundary is _DEFINITION and lines[start].startswith(b"class ") and lines[start].rstrip().endswith(b":"):
            body = next((line for line in lines[start + 1:end] if line.strip() and line[:1] in b" \t"), b"")
            indent = body[:len(body) - len(body.lstrip())]
            if indent:
                member = re.compile(re.escape(indent) + rb"(?:def|class|async|@)\b")
                trees.extend(_parse_parts(lines, start + 1, end, member, header=lines[start]))
        elif boundary is _DEFINITION:
            trees.extend(_parse_parts(lines, start, end, _TOP_LEVEL))
    return trees


def _string_constants(trees: list[ast.Module]) -> dict[str, str]:
    """Module-level names assigned exactly once to a string literal."""
    counts: dict[str, int] = {}
    values: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        counts[target.id] = counts.get(target.id, 0) + 1
                        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                            values[target.id] = node.value.value
    return {name: value for name, value in values.items() if counts[name] == 1}


class _Folder:
    """Message expression -> pieces (literal text, variables)."""

    def __init__(self, constants: dict[str, str]):
        self.constants = constants

    def pieces(self, node: ast.expr) -> tuple[list[Piece], bool]:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return [node.value], True
            return [repr(node.value) if node.value is not None else "None"], False
        if isinstance(node, ast.JoinedStr):
            out: list[Piece] = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    out.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    out.append(Var(ast.unparse(value.value)))
            return out, True
        if isinstance(node, ast.Name) and node.id in self.constants:
            return [self.constants[node.id]], True
        if isinstance(node, ast.BinOp):
            left, left_str = self.pieces(node.left)
            if isinstance(node.op, ast.Add):
                right, right_str = self.pieces(node.right)
                if left_str or right_str:
                    return left + right, True
            elif isinstance(node.op, ast.Mod) and left_str:
                return _percent(left, node.right), True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            pattern, is_str = self.pieces(node.func.value)
            if is_str:
                return str_format(pattern, node), True
        return [Var(ast.unparse(node))], False


def _percent(pattern: list[Piece], values: ast.expr) -> list[Piece]:
    named: dict[str, str] = {}
    if isinstance(values, ast.Tuple):
        exprs = [ast.unparse(v) for v in values.elts]
    elif isinstance(values, ast.Dict):
        exprs = []
        named = {k.value: ast.unparse(v) for k, v in zip(values.keys, values.values, strict=True)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    else:
        exprs = [ast.unparse(values)]
    return substitute(pattern, PRINTF, printf_choice(exprs, java=False, named=named))[0]


def str_format(pattern: list[Piece], call: ast.Call) -> list[Piece]:
    """Fill ``{}``, ``{0}``, ``{name}`` fields of ``str.format``; ``{{`` and ``}}`` are braces."""
    positional = [ast.unparse(a) for a in call.args]
    named = {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg}

    def choose(match: re.Match[str], n: int) -> Piece:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        name = match.group("field") or ""
        key = re.split(r"[.\[]", name, maxsplit=1)[0]
        if key == "":
            return Var(positional[n] if n < len(positional) else whole)
        if key.isdigit():
            index = int(key)
            return Var(positional[index] if index < len(positional) else whole)
        return Var(named.get(key, key))
    return substitute(pattern, STR_FORMAT, choose)[0]


class _Visitor(ast.NodeVisitor):
    """Walks one module keeping the class / function / except / guard context of every call."""

    def __init__(self, parsed: PythonFile, rel_path: str):
        self.parsed = parsed
        self.rel_path = rel_path
        self.loggers: set[str] = set()  # names and attributes assigned from getLogger(...)
        self.modules = {"logging"}  # names of the logging module
        self.pending: list[tuple[ast.expr, Statement]] = []  # calls whose receiver is judged once all is seen
        self.folder = _Folder(_string_constants(parsed.trees))
        self.classes: list[str] = []
        self.functions: list[str] = []
        self.in_catch = 0
        self.guarded = 0
        self.statements: list[Statement] = []
        self.methods: list[MethodInfo] = []

    def visit_or_skip(self, node: ast.AST) -> bool:
        """Visit ``node``; if it is nested too deep to walk, forget what it added and return False."""
        state = (self.classes[:], self.functions[:], self.in_catch, self.guarded, len(self.pending),
                 len(self.methods), set(self.loggers), set(self.modules))
        try:
            self.visit(node)
            return True
        except RecursionError:
            classes, functions, self.in_catch, self.guarded, pending, methods, self.loggers, self.modules = state
            self.classes, self.functions = classes, functions
            del self.pending[pending:], self.methods[methods:]
            return False

    # scopes
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in node.decorator_list + node.bases:
            self.visit(child)
        self.classes.append(node.name if not self.classes else f"{self.classes[-1]}.{node.name}")
        saved = self.functions, self.in_catch, self.guarded
        self.functions, self.in_catch, self.guarded = [], 0, 0
        for child in node.body:
            self.visit(child)
        self.functions, self.in_catch, self.guarded = saved
        self.classes.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> None:
        qualified = name if not self.functions else f"{self.functions[-1]}.<locals>.{name}"
        args = node.args
        params = [(a.arg, ast.unparse(a.annotation) if a.annotation is not None else "")
                  for a in args.posonlyargs + args.args + args.kwonlyargs]
        static = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        start = self.parsed.byte(node.lineno, node.col_offset)
        end = self.parsed.byte(node.end_lineno or node.lineno, node.end_col_offset or 0)
        self.methods.append(MethodInfo(self._cls(), qualified, params, node, node,
                                       "lambda" if isinstance(node, ast.Lambda) else "method", start, end,
                                       node.lineno, static))
        saved = self.in_catch, self.guarded
        self.in_catch = self.guarded = 0
        self.functions.append(qualified)
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            for child in node.body:
                self.visit(child)
        self.functions.pop()
        self.in_catch, self.guarded = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for child in node.decorator_list:
            self.visit(child)
        self._function(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, "<lambda>")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.in_catch += 1
        self.generic_visit(node)
        self.in_catch -= 1

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        is_guard = bool(GUARD.search(ast.unparse(node.test)))
        self.guarded += is_guard
        for child in node.body:
            self.visit(child)
        self.guarded -= is_guard
        for child in node.orelse:
            self.visit(child)

    def _cls(self) -> str:
        return self.classes[-1] if self.classes else self.parsed.module

    # what is a logger
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "logging":
                self.modules.add(alias.asname or "logging")

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        self.generic_visit(node)
        if not isinstance(node.value, ast.Call):
            return
        func = node.value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("getLogger", "getChild", "LoggerAdapter", "Logger"):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    self.loggers.add(target.id)
                elif isinstance(target, ast.Attribute):
                    self.loggers.add(target.attr)

    visit_AnnAssign = visit_Assign  # type: ignore[assignment]

    # calls
    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute) or (func.attr not in LEVELS and func.attr != "log"):
            return
        method = func.attr
        args = list(node.args)
        if method == "log":
            if len(args) < 2:
                return
            level_expr = args.pop(0)
            level_name = level_expr.attr if isinstance(level_expr, ast.Attribute) else \
                level_expr.id if isinstance(level_expr, ast.Name) else ""
            level = _LEVEL_NAMES.get(level_name.upper(), "INFO")
        else:
            level = LEVELS.get(method)
        if level is None or not args or any(isinstance(a, ast.Starred) for a in args[:1]):
            return
        pieces, _ = self.folder.pieces(args[0])
        if len(args) > 1 and has_literal(pieces, PRINTF):
            if len(args) == 2 and isinstance(args[1], ast.Dict):
                pieces = _percent(pieces, args[1])
            else:
                pieces = substitute(pieces, PRINTF, printf_choice([ast.unparse(a) for a in args[1:]],
                                                                  java=False))[0]
        exception = "exc_info" if method == "exception" else None
        for keyword in node.keywords:
            if keyword.arg == "exc_info" and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value):
                exception = ast.unparse(keyword.value)
        constants = self.folder.constants  # a constant filling a placeholder is literal text
        pieces = [constants.get(p.expr, p) if isinstance(p, Var) else p for p in pieces]
        template, slot_args = render(pieces)
        self.pending.append((func.value, Statement(
            id=statement_id(self.rel_path, node.lineno, node.col_offset), file=self.rel_path, line=node.lineno,
            end_line=node.end_lineno or node.lineno, cls=self._cls(),
            method=self.functions[-1] if self.functions else "<module>", level=level, template=template,
            args=slot_args, in_catch=self.in_catch > 0, exception=exception,
            start_byte=self.parsed.byte(node.lineno, node.col_offset),
            end_byte=self.parsed.byte(node.end_lineno or node.lineno, node.end_col_offset or 0),
            language="python", guarded=self.guarded > 0, partial=self.parsed.partial)))

    def _is_logger(self, receiver: ast.expr) -> bool:
        if isinstance(receiver, ast.Name):
            name = receiver.id
            return name in self.modules or name in self.loggers or bool(CONVENTIONAL_LOGGER.match(name))
        if isinstance(receiver, ast.Attribute):
            return receiver.attr in self.loggers or bool(CONVENTIONAL_LOGGER.match(receiver.attr))
        if isinstance(receiver, ast.Call):
            func = receiver.func
            return isinstance(func, ast.Attribute | ast.Name) and \
                (func.attr if isinstance(func, ast.Attribute) else func.id) == "getLogger"
        return False


def _visit(parsed: PythonFile, rel_path: str) -> _Visitor:
    visitor = _Visitor(parsed, rel_path)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, BUILD_RECURSION_LIMIT))
    try:
        for tree in parsed.trees:
            if not visitor.visit_or_skip(tree):
                for node in tree.body:  # too deep to walk whole: keep the top-level statements that can be walked
                    visitor.visit_or_skip(node)
    finally:
        sys.setrecursionlimit(limit)
    visitor.statements = [s for receiver, s in visitor.pending if visitor._is_logger(receiver)]
    return visitor


def module_name(rel_path: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` (``__init__.py`` names its package)."""
    parts = rel_path.removesuffix(".py").split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def find_logging_calls(parsed: PythonFile, file: str) -> list[Statement]:
    """The logging statements of one parsed Python file, in source order."""
    statements = _visit(parsed, file).statements
    return sorted(statements, key=lambda s: s.start_byte)


def iter_methods(parsed: PythonFile, file: str = "") -> Iterator[MethodInfo]:
    """Every function, method and lambda of the file (``cls`` is the class qualname, or the module name)."""
    return iter(sorted(_visit(parsed, file).methods, key=lambda m: m.start_byte))
