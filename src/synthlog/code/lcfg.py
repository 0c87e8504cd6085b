"""Log-oriented control-flow graphs (LCFGs): per method, its logging statements and calls that may log, linked by
the control flow between them.

A graph keeps only what changes what a method can log, plus what a consistency checker needs:

- ``log`` (a logging statement), ``call`` (a call whose callee may log; several callees = ambiguous),
- ``cond`` (a branch condition with the outcome taken: if, loops, switch as ``selector == label``),
- ``assign`` (``x = <literal>``, e.g. a flag or ``null``), ``loop`` (a loop head, for unrolling),
- ``entry`` and ``exit`` nodes; an exit is ``normal``, ``exception:<Type>`` for a ``throw`` that leaves the method,
  or ``exception:*`` for an exception that comes out of a callee and is not caught.

Statements that contain none of these are condensed away, so a 300-line method with two logging calls has a handful
of nodes. Edges carry two marks: ``back`` (a loop's back edge, counted when loops are unrolled) and ``exc``:
``None`` for ordinary flow, a tuple of caught types for an edge into a ``catch`` handler (an exception raised at
that point), and ``()`` for the route an exception that came out of a callee takes when nothing here catches it.

Java constructs handled: blocks, if/else, switch (classic groups with fall-through, arrow rules, switch expressions
with ``yield``), for / while / do / for-each, labelled and plain break / continue, return, throw, try / catch /
finally (finally copied onto every route that leaves through it), try-with-resources, synchronized. Lambdas and
the methods of anonymous and local classes are methods of their own (the caller builds them separately).
Python functions go through :func:`build_python_lcfg` (if / for / while / try / with / return / raise).
"""

from __future__ import annotations

import ast
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from synthlog.code.java import simple_type
from synthlog.code.sites import ASSIGN_TYPES, CALL_TYPES, MethodSites

Exc = tuple[str, ...] | None
Edge = tuple[int, bool, Exc]  # (target, back edge?, exception mark)
Pred = tuple[int, Exc]  # a dangling edge: source node and its exception mark

BUILD_RECURSION_LIMIT = 8000  # about 600 nesting levels; deeper methods get a linear approximation
LOOP_TYPES = frozenset({"while_statement", "for_statement", "enhanced_for_statement", "do_statement"})
CATCH_ALL = frozenset({"Throwable", "BaseException"})

# A few JDK exception parents, so ``catch (IOException e)`` takes ``throw new EOFException()``.
JDK_EXCEPTION_PARENTS = {
    "Exception": "Throwable", "Error": "Throwable", "RuntimeException": "Exception", "IOException": "Exception",
    "InterruptedException": "Exception", "TimeoutException": "Exception", "ExecutionException": "Exception",
    "ClassNotFoundException": "ReflectiveOperationException", "ReflectiveOperationException": "Exception",
    "CloneNotSupportedException": "Exception", "SQLException": "Exception", "URISyntaxException": "Exception",
    "EOFException": "IOException", "FileNotFoundException": "IOException", "SocketException": "IOException",
    "SocketTimeoutException": "InterruptedIOException", "InterruptedIOException": "IOException",
    "UnknownHostException": "IOException", "ConnectException": "SocketException", "BindException": "SocketException",
    "ClosedChannelException": "IOException", "UnsupportedEncodingException": "IOException",
    "IllegalArgumentException": "RuntimeException", "IllegalStateException": "RuntimeException",
    "NullPointerException": "RuntimeException", "UnsupportedOperationException": "RuntimeException",
    "IndexOutOfBoundsException": "RuntimeException", "ArrayIndexOutOfBoundsException": "IndexOutOfBoundsException",
    "ClassCastException": "RuntimeException", "NumberFormatException": "IllegalArgumentException",
    "ConcurrentModificationException": "RuntimeException", "ArithmeticException": "RuntimeException",
    "NoSuchElementException": "RuntimeException", "SecurityException": "RuntimeException",
    "OutOfMemoryError": "VirtualMachineError", "StackOverflowError": "VirtualMachineError",
    "VirtualMachineError": "Error", "AssertionError": "Error",
}


def jdk_is_subtype(sub: str, sup: str) -> bool:
    """Whether exception class ``sub`` is ``sup`` or below it, by simple names and the small JDK table."""
    seen = 0
    while sub and seen < 32:
        if sub == sup:
            return True
        sub = JDK_EXCEPTION_PARENTS.get(sub, "")
        seen += 1
    return False


@dataclass(slots=True)
class LNode:
    """One node of an LCFG; which fields are set depends on ``kind`` (see the module docstring)."""

    kind: str
    line: int = 0
    statement: str | None = None  # log: the Statement id
    callees: tuple[str, ...] = ()  # call: candidate method ids
    expr: str | None = None  # cond: condition text; assign: value text; call: callee text
    outcome: bool | None = None  # cond
    target: str | None = None  # assign
    exit: str | None = None  # exit: "normal", "exception:<Type>" or "exception:*"
    loop: int | None = None  # loop head: the loop's number within the method

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "line": self.line, "statement": self.statement,
                "callees": list(self.callees) or None, "expr": self.expr, "outcome": self.outcome,
                "target": self.target, "exit": self.exit, "loop": self.loop}
        return {k: v for k, v in data.items() if v is not None}


@dataclass(slots=True)
class Lcfg:
    """The LCFG of one method: nodes, successor edges, entry node 0."""

    method: str
    nodes: list[LNode] = field(default_factory=list)
    succ: list[list[Edge]] = field(default_factory=list)
    loops: int = 0
    loop_exits: dict[int, list[int]] = field(default_factory=dict)  # loop -> its "condition false" nodes
    approximate: bool = False  # nesting too deep to follow: logs and calls in source order, one path

    entry = 0

    def add(self, node: LNode) -> int:
        self.nodes.append(node)
        self.succ.append([])
        return len(self.nodes) - 1

    def connect(self, preds: list[Pred], target: int, back: bool = False) -> None:
        for source, exc in preds:
            edge = (target, back, exc)
            if edge not in self.succ[source]:
                self.succ[source].append(edge)

    @property
    def statements(self) -> list[str]:
        """The logging statements this method logs directly, in node order."""
        return [n.statement for n in self.nodes if n.kind == "log" and n.statement is not None]


# ----------------------------------------------------------------------------------------------------------------
# Contexts that catch jumps (break, continue, return, throw, yield) on their way out of nested statements.

@dataclass
class _Jump:
    kind: str  # return, break, continue, yield, throw
    key: str | None  # label for break/continue; exception type for throw ("*": from a callee, "?": anywhere)
    preds: list[Pred]


class _Ctx:
    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        return jump


class _LoopCtx(_Ctx):
    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels
        self.breaks: list[Pred] = []
        self.continues: list[Pred] = []

    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if jump.kind in ("break", "continue") and (jump.key is None or jump.key in self.labels):
            (self.breaks if jump.kind == "break" else self.continues).extend(jump.preds)
            return None
        return jump


class _SwitchCtx(_Ctx):
    def __init__(self) -> None:
        self.breaks: list[Pred] = []

    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if (jump.kind == "break" and jump.key is None) or jump.kind == "yield":
            self.breaks.extend(jump.preds)
            return None
        return jump


class _LabelCtx(_Ctx):
    def __init__(self, label: str):
        self.label = label
        self.breaks: list[Pred] = []

    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if jump.kind == "break" and jump.key == self.label:
            self.breaks.extend(jump.preds)
            return None
        return jump


class _TryCtx(_Ctx):
    """The body of a try with catch clauses: exceptions raised here go to the handlers that can take them."""

    def __init__(self, handlers: list[tuple[tuple[str, ...], list[Pred]]]):
        self.handlers = handlers

    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if jump.kind != "throw":
            return jump
        if jump.key == "?":  # something in the body may throw: every handler may run
            for types, preds in self.handlers:
                preds.extend((source, types) for source, _ in jump.preds)
            return None
        if jump.key == "*":  # whatever a callee throws: any handler, and onwards if none takes it
            for types, preds in self.handlers:
                preds.extend((source, types) for source, _ in jump.preds)
            if any(t in CATCH_ALL for types, _ in self.handlers for t in types):
                return None
            return _Jump("throw", "*", [(source, ()) for source, _ in jump.preds])
        thrown = jump.key or "Exception"
        for types, preds in self.handlers:
            if any(builder.is_subtype(thrown, t) for t in types):
                preds.extend(jump.preds)
                return None
            if any(builder.is_subtype(t, thrown) for t in types):  # may be caught, may pass
                preds.extend(jump.preds)
        return jump


class _FinallyCtx(_Ctx):
    """A try with a finally block: every route out of the try is collected, to run through its own copy."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str | None], list[Pred]] = {}

    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if jump.kind == "throw" and jump.key == "?":
            return jump
        self.routes.setdefault((jump.kind, jump.key), []).extend(jump.preds)
        return None


class _MethodCtx(_Ctx):
    def take(self, builder: _Builder, jump: _Jump) -> _Jump | None:
        if jump.kind == "return":
            builder.graph.connect(jump.preds, builder.exit_node("normal"))
        elif jump.kind == "throw" and jump.key != "?":
            builder.graph.connect(jump.preds, builder.exit_node(f"exception:{jump.key}"))
        return None


# ----------------------------------------------------------------------------------------------------------------

def _any_in(points: list[int], start: int, end: int) -> bool:
    i = bisect_left(points, start)
    return i < len(points) and points[i] < end


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


def _unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _is_named(node: Node) -> bool:
    return node.is_named and node.type not in ("line_comment", "block_comment")


@dataclass
class SiteInfo:
    """What the builder is told about one method: which calls log, which calls may log (and whom they call)."""

    logs: Mapping[tuple[int, int], str]  # (start_byte, end_byte) of a logging call -> Statement id
    calls: Mapping[tuple[int, int], tuple[str, ...]]  # span of a call whose callee may log -> candidate ids
    sites: MethodSites  # every call, jump, literal assignment and local type of the method


class _Builder:
    """What the Java and Python builders share: the graph, the context stack, jumps and small node helpers."""

    def __init__(self, method: str, is_subtype: Callable[[str, str], bool]):
        self.graph = Lcfg(method)
        self.is_subtype = is_subtype
        self.contexts: list[_Ctx] = [_MethodCtx()]
        self.exits: dict[str, int] = {}
        self.graph.add(LNode("entry"))

    def exit_node(self, kind: str) -> int:
        if kind not in self.exits:
            self.exits[kind] = self.graph.add(LNode("exit", exit=kind))
        return self.exits[kind]

    def node(self, preds: list[Pred], kind: str, line: int, **fields: Any) -> int:
        index = self.graph.add(LNode(kind, line, **fields))
        self.graph.connect(preds, index)
        return index

    def jump(self, jump: _Jump) -> None:
        for ctx in reversed(self.contexts):
            remaining = ctx.take(self, jump)
            if remaining is None:
                return
            jump = remaining

    def cond(self, preds: list[Pred], expr: str, outcome: bool, line: int) -> list[Pred]:
        return [(self.node(preds, "cond", line, expr=expr, outcome=outcome), None)]

    def finish(self, preds: list[Pred]) -> Lcfg:
        if preds:
            self.graph.connect(preds, self.exit_node("normal"))
        return self.graph

    def new_loop(self, preds: list[Pred], line: int) -> int:
        loop_id = self.graph.loops
        self.graph.loops += 1
        return self.node(preds, "loop", line, loop=loop_id)


class _JavaBuilder(_Builder):
    def __init__(self, method: str, info: SiteInfo, is_subtype: Callable[[str, str], bool],
                 param_types: Mapping[str, str]):
        super().__init__(method, is_subtype)
        self.info = info
        self.param_types = param_types
        self._var_types: dict[str, str] | None = None
        self._throwing: list[int] | None = None
        sites = info.sites
        self.assign_spans = {(n.start_byte, n.end_byte) for n in sites.assigns}
        strong: list[int] = [start for start, _ in info.logs] + [start for start, _ in info.calls]
        strong += [n.start_byte for n in sites.assigns]
        weak: list[int] = []
        for jump in sites.jumps:
            if jump.type in ("break_statement", "continue_statement") and jump.named_child_count == 0:
                weak.append(jump.start_byte)
            else:
                strong.append(jump.start_byte)
        self.strong = sorted(strong)
        self.weak = sorted(weak)
        self.breakable = 0
        self.in_try = 0

    @property
    def var_types(self) -> dict[str, str]:
        """Variable -> simple declared type (locals, then parameters, then catch parameters as met); built on first
        use, since only ``throw e`` needs it."""
        if self._var_types is None:
            self._var_types = {**{k: simple_type(v, keep_array=True) for k, v in self.info.sites.local_types.items()},
                               **{k: simple_type(v, keep_array=True) for k, v in self.param_types.items()}}
        return self._var_types

    @property
    def throwing(self) -> list[int]:
        """Start bytes of the calls that are not logging calls (any may throw); built on first use in a try."""
        if self._throwing is None:
            logs = self.info.logs
            self._throwing = sorted(n.start_byte for n in self.info.sites.calls
                                    if (n.start_byte, n.end_byte) not in logs)
        return self._throwing

    # -- helpers ------------------------------------------------------------------------------------------------
    def sig(self, node: Node) -> bool:
        """Whether ``node`` holds anything that changes what is logged (or what a checker must see)."""
        start, end = node.start_byte, node.end_byte
        if _any_in(self.strong, start, end):
            return True
        return self.breakable > 0 and node.type not in LOOP_TYPES and _any_in(self.weak, start, end)

    def throw_point(self, node: Node, preds: list[Pred]) -> None:
        """Inside a try with handlers, a skipped statement that calls something may throw into them."""
        if self.in_try and preds and _any_in(self.throwing, node.start_byte, node.end_byte):
            self.jump(_Jump("throw", "?", preds))

    # -- statements ---------------------------------------------------------------------------------------------
    def build_body(self, body: Node) -> Lcfg:
        is_block = body.type in ("block", "constructor_body")  # else a lambda's expression body
        return self.finish(self.stmt(body, [(0, None)]) if is_block else self.expr(body, [(0, None)]))

    def stmts(self, nodes: list[Node], preds: list[Pred]) -> list[Pred]:
        strong, weak = self.strong, self.weak
        for child in nodes:
            if not preds:
                break
            start, end = child.start_byte, child.end_byte
            i = bisect_left(strong, start)
            if (i < len(strong) and strong[i] < end) or child.type in ("block", "constructor_body") or (
                    self.breakable and _any_in(weak, start, end)):
                preds = self.stmt(child, preds)
            elif self.in_try and _any_in(self.throwing, start, end):  # what stmt does with a plain statement
                self.jump(_Jump("throw", "?", preds))
        return preds

    def stmt(self, node: Node, preds: list[Pred]) -> list[Pred]:
        if not preds or not _is_named(node):
            return preds
        kind = node.type
        if kind in ("block", "constructor_body"):
            return self.stmts(node.named_children, preds)
        if not self.sig(node):
            self.throw_point(node, preds)
            return preds
        handler = _STATEMENTS.get(kind)
        if handler is not None:
            return handler(self, node, preds)
        if kind in ("class_declaration", "local_class_declaration", "interface_declaration",
                    "enum_declaration", "record_declaration"):
            return preds  # methods of their own
        return self.expr(node, preds)

    def if_(self, node: Node, preds: list[Pred]) -> list[Pred]:
        condition = node.child_by_field_name("condition")
        then = node.child_by_field_name("consequence")
        other = node.child_by_field_name("alternative")
        preds = self.expr(condition, preds)
        if not ((then is not None and self.sig(then)) or (other is not None and self.sig(other))):
            return preds
        inner = _unparen(condition)
        if inner.type in ("true", "false"):
            taken = then if inner.type == "true" else other
            return self.stmt(taken, preds) if taken is not None else preds
        text, line = _text(inner), condition.start_point.row + 1
        out = self.stmt(then, self.cond(preds, text, True, line)) if then is not None else []
        no = self.cond(preds, text, False, line)
        return out + (self.stmt(other, no) if other is not None else no)

    def loop(self, node: Node, preds: list[Pred], labels: tuple[str, ...] = ()) -> list[Pred]:
        kind = node.type
        body = node.child_by_field_name("body")
        condition = node.child_by_field_name("condition")
        updates: list[Node] = []
        if kind == "for_statement":
            preds = self.stmts(node.children_by_field_name("init"), preds)
            updates = node.children_by_field_name("update")
        elif kind == "enhanced_for_statement":
            preds = self.expr(node.child_by_field_name("value"), preds)
        rest = [n for n in [body, condition, *updates] if n is not None]
        if not preds or not any(self.sig(n) for n in rest):
            return preds
        graph = self.graph
        head = self.new_loop(preds, node.start_point.row + 1)
        ctx = _LoopCtx(labels)
        self.contexts.append(ctx)
        self.breakable += 1
        exits: list[Pred] = []
        if kind == "do_statement":
            out = self.stmt(body, [(head, None)]) + ctx.continues
            out = self.expr(condition, out)
            inner = _unparen(condition)
            if inner.type == "true":
                graph.connect(out, head, back=True)
            elif inner.type != "false" and out:
                line = condition.start_point.row + 1
                graph.connect(self.cond(out, _text(inner), True, line), head, back=True)
                exits = self.cond(out, _text(inner), False, line)
            else:
                exits = out
        else:
            entry: list[Pred] = [(head, None)]
            if condition is not None:
                entry = self.expr(condition, entry)
            inner = _unparen(condition) if condition is not None else None
            line = (condition or node).start_point.row + 1
            if kind == "enhanced_for_statement":
                text = f"{_text(node.child_by_field_name('name'))} : {_text(node.child_by_field_name('value'))}"
                body_in, exits = self.cond(entry, text, True, line), self.cond(entry, text, False, line)
            elif inner is None or inner.type == "true":
                body_in = entry
            elif inner.type == "false":
                body_in, exits = [], entry
            else:
                body_in, exits = self.cond(entry, _text(inner), True, line), self.cond(entry, _text(inner), False, line)
            out = self.stmt(body, body_in) + ctx.continues
            for update in updates:
                out = self.expr(update, out)
            graph.connect(out, head, back=True)
        self.contexts.pop()
        self.breakable -= 1
        graph.loop_exits[graph.nodes[head].loop] = [source for source, _ in exits]  # type: ignore[index]
        return exits + ctx.breaks

    def labeled(self, node: Node, preds: list[Pred]) -> list[Pred]:
        label = _text(node.named_children[0])
        inner = node.named_children[-1]
        if inner.type in LOOP_TYPES:
            return self.loop(inner, preds, (label,)) if self.sig(inner) else preds
        ctx = _LabelCtx(label)
        self.contexts.append(ctx)
        out = self.stmt(inner, preds)
        self.contexts.pop()
        return out + ctx.breaks

    def switch(self, node: Node, preds: list[Pred]) -> list[Pred]:
        condition = node.child_by_field_name("condition")
        body = node.child_by_field_name("body")
        preds = self.expr(condition, preds)
        if body is None or not preds or not self.sig(body):
            return preds
        selector = _text(_unparen(condition))
        line = condition.start_point.row + 1
        groups = [g for g in body.named_children if g.type in ("switch_block_statement_group", "switch_rule")]
        labelled: list[tuple[Node, list[str | None], list[Node]]] = []  # group, its case values (None: default)
        for group in groups:
            values: list[str | None] = []
            statements: list[Node] = []
            for child in group.named_children:
                if child.type == "switch_label":
                    cases = [c for c in child.named_children if _is_named(c)]
                    if cases:
                        values.extend(_text(c) for c in cases)
                    else:
                        values.append(None)
                elif _is_named(child):
                    statements.append(child)
            labelled.append((group, values, statements))
        all_values = [v for _, values, _ in labelled for v in values if v is not None]
        ctx = _SwitchCtx()
        self.contexts.append(ctx)
        self.breakable += 1
        out: list[Pred] = []
        fall: list[Pred] = []
        has_default = False
        for group, values, statements in labelled:
            entry = list(fall)
            for value in values:
                if value is None:
                    has_default = True
                    entry += self.no_match(preds, selector, all_values, line)
                else:
                    entry += self.cond(preds, f"{selector} == {value}", True, line)
            result = self.stmts(statements, entry)
            if group.type == "switch_rule":
                out += result
            else:
                fall = result
        out += fall
        if not has_default:
            out += self.no_match(preds, selector, all_values, line)
        self.contexts.pop()
        self.breakable -= 1
        return out + ctx.breaks

    def no_match(self, preds: list[Pred], selector: str, values: list[str], line: int) -> list[Pred]:
        for value in values:
            preds = self.cond(preds, f"{selector} == {value}", False, line)
        return preds

    def try_(self, node: Node, preds: list[Pred]) -> list[Pred]:
        body = node.child_by_field_name("body")
        catches = [c for c in node.named_children if c.type == "catch_clause"]
        final = next((c for c in node.named_children if c.type == "finally_clause"), None)
        final_block = final.named_children[-1] if final is not None and final.named_children else None
        finally_ctx = _FinallyCtx() if final_block is not None and self.sig(final_block) else None
        if finally_ctx is not None:
            self.contexts.append(finally_ctx)
        handlers: list[tuple[tuple[str, ...], list[Pred]]] = []
        blocks: list[Node] = []
        for clause in catches:
            param = next((c for c in clause.named_children if c.type == "catch_formal_parameter"), None)
            types: tuple[str, ...] = ("Throwable",)
            if param is not None:
                catch_type = next((c for c in param.named_children if c.type == "catch_type"), None)
                if catch_type is not None:
                    types = tuple(simple_type(_text(t), keep_array=True) for t in catch_type.named_children) or types
                name = param.child_by_field_name("name")
                if name is not None:
                    self.var_types[_text(name)] = types[0]
            handlers.append((types, []))
            blocks.append(clause.child_by_field_name("body"))
        if handlers:
            self.contexts.append(_TryCtx(handlers))
            self.in_try += 1
        resources = node.child_by_field_name("resources")
        if resources is not None:
            preds = self.expr(resources, preds)
        out = self.stmt(body, preds) if body is not None else preds
        if handlers:
            self.contexts.pop()
            self.in_try -= 1
        for (_, entry), block in zip(handlers, blocks, strict=True):
            if entry and block is not None:
                out = out + self.stmt(block, entry)
        if finally_ctx is None:
            return out
        self.contexts.pop()
        normal = self.stmt(final_block, out) if out else []
        for (kind, key), route in finally_ctx.routes.items():
            after = self.stmt(final_block, route)
            if after:
                self.jump(_Jump(kind, key, after))
        return normal

    def jump_stmt(self, node: Node, preds: list[Pred]) -> list[Pred]:
        kind = node.type.removesuffix("_statement")
        value = node.named_children[0] if node.named_child_count else None
        if kind in ("break", "continue"):
            self.jump(_Jump(kind, _text(value) if value is not None else None, preds))
            return []
        if value is not None:
            preds = self.expr(value, preds)
        if not preds:
            return []
        key = self.thrown_type(value) if kind == "throw" and value is not None else None
        self.jump(_Jump(kind, key, preds))
        return []

    def thrown_type(self, value: Node) -> str:
        value = _unparen(value)
        if value.type == "object_creation_expression":
            type_node = value.child_by_field_name("type")
            if type_node is not None:
                return simple_type(_text(type_node), keep_array=True)
        if value.type == "identifier":
            return self.var_types.get(_text(value), "Exception")
        return "Exception"

    def synchronized(self, node: Node, preds: list[Pred]) -> list[Pred]:
        lock = next((c for c in node.named_children if c.type == "parenthesized_expression"), None)
        if lock is not None:
            preds = self.expr(lock, preds)
        body = node.child_by_field_name("body")
        return self.stmt(body, preds) if body is not None else preds

    # -- expressions --------------------------------------------------------------------------------------------
    def expr(self, node: Node | None, preds: list[Pred]) -> list[Pred]:
        if node is None or not preds:
            return preds
        if not _any_in(self.strong, node.start_byte, node.end_byte):
            self.throw_point(node, preds)
            return preds
        return self.strong_expr(node, preds)

    def strong_expr(self, node: Node, preds: list[Pred]) -> list[Pred]:
        """:meth:`expr` of a node known to hold a strong point (``preds`` not empty)."""
        kind = node.type
        if kind in ("lambda_expression", "class_body"):
            return preds  # methods of their own
        if kind == "switch_expression":
            return self.switch(node, preds)
        if kind == "ternary_expression":
            return self.ternary(node, preds)
        strong = self.strong
        for child in node.named_children:  # the children without a strong point are skipped here, in line
            start, end = child.start_byte, child.end_byte
            i = bisect_left(strong, start)
            if i < len(strong) and strong[i] < end:
                if child.named_child_count:  # a leaf (the receiver of a call starting there) adds nothing
                    preds = self.strong_expr(child, preds)
                    if not preds:
                        return preds
            elif self.in_try and _any_in(self.throwing, start, end):
                self.jump(_Jump("throw", "?", preds))
        if kind in CALL_TYPES:
            span = (node.start_byte, node.end_byte)
            statement = self.info.logs.get(span)
            if statement is not None:
                return [(self.node(preds, "log", node.start_point.row + 1, statement=statement), None)]
            callees = self.info.calls.get(span)
            if callees is not None:
                name = node.child_by_field_name("name") or node.child_by_field_name("type")
                call = self.node(preds, "call", node.start_point.row + 1, callees=callees,
                                 expr=_text(name) if name else kind)
                self.jump(_Jump("throw", "*", [(call, ())]))
                return [(call, None)]
        elif kind in ASSIGN_TYPES and (node.start_byte, node.end_byte) in self.assign_spans:
            target = node.child_by_field_name("left") or node.child_by_field_name("name")
            value = node.child_by_field_name("right") or node.child_by_field_name("value")
            return [(self.node(preds, "assign", node.start_point.row + 1, target=_text(target), expr=_text(value)),
                     None)]
        return preds

    def ternary(self, node: Node, preds: list[Pred]) -> list[Pred]:
        condition = node.child_by_field_name("condition")
        then = node.child_by_field_name("consequence")
        other = node.child_by_field_name("alternative")
        preds = self.expr(condition, preds)
        if not any(n is not None and _any_in(self.strong, n.start_byte, n.end_byte) for n in (then, other)):
            return preds
        text, line = _text(_unparen(condition)), condition.start_point.row + 1
        return (self.expr(then, self.cond(preds, text, True, line))
                + self.expr(other, self.cond(preds, text, False, line)))


_STATEMENTS: dict[str, Callable[[_JavaBuilder, Node, list[Pred]], list[Pred]]] = {
    "if_statement": _JavaBuilder.if_,
    "while_statement": _JavaBuilder.loop,
    "for_statement": _JavaBuilder.loop,
    "enhanced_for_statement": _JavaBuilder.loop,
    "do_statement": _JavaBuilder.loop,
    "labeled_statement": _JavaBuilder.labeled,
    "switch_expression": _JavaBuilder.switch,
    "try_statement": _JavaBuilder.try_,
    "try_with_resources_statement": _JavaBuilder.try_,
    "return_statement": _JavaBuilder.jump_stmt,
    "throw_statement": _JavaBuilder.jump_stmt,
    "break_statement": _JavaBuilder.jump_stmt,
    "continue_statement": _JavaBuilder.jump_stmt,
    "yield_statement": _JavaBuilder.jump_stmt,
    "synchronized_statement": _JavaBuilder.synchronized,
}


def build_java_lcfg(method: str, body: Node, info: SiteInfo, *, param_types: Mapping[str, str] | None = None,
                    is_subtype: Callable[[str, str], bool] = jdk_is_subtype) -> Lcfg:
    """The LCFG of one Java method body (a ``block``, a ``constructor_body`` or a lambda's expression).

    ``info`` says which call spans are logging statements and which call methods that may log;
    ``is_subtype(sub, sup)`` decides which ``catch`` takes a thrown exception (simple class names).
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, BUILD_RECURSION_LIMIT))
    try:
        return _JavaBuilder(method, info, is_subtype, param_types or {}).build_body(body)
    except RecursionError:
        calls = (((n.start_byte, n.end_byte), n.start_point.row + 1, n.type) for n in info.sites.calls)
        return _linear_lcfg(method, calls, info.logs, info.calls, is_subtype)
    finally:
        sys.setrecursionlimit(limit)


def _linear_lcfg(method: str, sites: Iterable[tuple[tuple[int, int], int, str]], logs: Mapping[tuple[int, int], str],
                 calls: Mapping[tuple[int, int], tuple[str, ...]], is_subtype: Callable[[str, str], bool]) -> Lcfg:
    """The fallback for absurdly deep nesting: every log and call of ``sites`` (span, line, expression kind), in
    source order, on one path."""
    builder = _Builder(method, is_subtype)
    builder.graph.approximate = True
    preds: list[Pred] = [(0, None)]
    for span, line, kind in sites:
        if span in logs:
            preds = [(builder.node(preds, "log", line, statement=logs[span]), None)]
        elif span in calls:
            preds = [(builder.node(preds, "call", line, callees=calls[span], expr=kind), None)]
    return builder.finish(preds)


# ----------------------------------------------------------------------------------------------------------------
# Python

def python_is_subtype(sub: str, sup: str) -> bool:
    """Exception subtyping for Python built-in exceptions by name; unknown names only match themselves."""
    if sub == sup:
        return True
    import builtins

    sub_cls, sup_cls = getattr(builtins, sub, None), getattr(builtins, sup, None)
    return (isinstance(sub_cls, type) and isinstance(sup_cls, type) and issubclass(sub_cls, BaseException)
            and issubclass(sub_cls, sup_cls))


_PY_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class _PythonBuilder(_Builder):
    def __init__(self, method: str, spans: Callable[[ast.AST], tuple[int, int]],
                 logs: Mapping[tuple[int, int], str], calls: Mapping[tuple[int, int], tuple[str, ...]],
                 is_subtype: Callable[[str, str], bool]):
        super().__init__(method, is_subtype)
        self.span = spans
        self.logs = logs
        self.calls = calls
        self.significant: set[int] = set()
        self.handler_types: list[str] = []

    def mark(self, node: ast.AST) -> bool:
        """Record (by id) every node whose subtree matters, bottom up; nested functions are skipped."""
        found = False
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _PY_NESTED) and self.mark(child):
                found = True
        if isinstance(node, ast.Return | ast.Raise | ast.Break | ast.Continue):
            found = True
        elif isinstance(node, ast.Call):
            span = self.span(node)
            found = found or span in self.logs or span in self.calls
        elif isinstance(node, ast.Assign) and _py_literal(node.value):
            found = True
        if found:
            self.significant.add(id(node))
        return found

    def build(self, function: ast.AST) -> Lcfg:
        body = function.body if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) else None
        if body is None:  # a lambda
            self.mark(function.body)  # type: ignore[attr-defined]
            return self.finish(self.expr(function.body, [(0, None)]))  # type: ignore[attr-defined]
        for statement in body:
            self.mark(statement)
        return self.finish(self.stmts(body, [(0, None)]))

    def stmts(self, nodes: list[ast.stmt], preds: list[Pred]) -> list[Pred]:
        for node in nodes:
            if not preds:
                break
            preds = self.stmt(node, preds)
        return preds

    def stmt(self, node: ast.stmt, preds: list[Pred]) -> list[Pred]:
        if id(node) not in self.significant or isinstance(node, _PY_NESTED):
            return preds
        line = node.lineno
        if isinstance(node, ast.If):
            preds = self.expr(node.test, preds)
            text = ast.unparse(node.test)
            return (self.stmts(node.body, self.cond(preds, text, True, line))
                    + self.stmts(node.orelse, self.cond(preds, text, False, line)))
        if isinstance(node, ast.While | ast.For | ast.AsyncFor):
            return self.loop(node, preds)
        if isinstance(node, ast.Try | ast.TryStar):
            return self.try_(node, preds)
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                preds = self.expr(item.context_expr, preds)
            return self.stmts(node.body, preds)
        if isinstance(node, ast.Return):
            preds = self.expr(node.value, preds)
            self.jump(_Jump("return", None, preds))
            return []
        if isinstance(node, ast.Raise):
            preds = self.expr(node.exc, preds)
            self.jump(_Jump("throw", self.raised_type(node), preds))
            return []
        if isinstance(node, ast.Break | ast.Continue):
            self.jump(_Jump("break" if isinstance(node, ast.Break) else "continue", None, preds))
            return []
        return self.expr(node, preds)

    def raised_type(self, node: ast.Raise) -> str:
        exc = node.exc
        if exc is None:
            return self.handler_types[-1] if self.handler_types else "Exception"
        if isinstance(exc, ast.Call):
            exc = exc.func
        return ast.unparse(exc).rsplit(".", 1)[-1] if isinstance(exc, ast.Name | ast.Attribute) else "Exception"

    def loop(self, node: ast.While | ast.For | ast.AsyncFor, preds: list[Pred]) -> list[Pred]:
        line = node.lineno
        if isinstance(node, ast.While):
            head = self.new_loop(preds, line)
            entry = self.expr(node.test, [(head, None)])
            forever = isinstance(node.test, ast.Constant) and node.test.value is True
            text = ast.unparse(node.test)
        else:
            preds = self.expr(node.iter, preds)
            head = self.new_loop(preds, line)
            entry = [(head, None)]
            forever = False
            text = f"{ast.unparse(node.target)} in {ast.unparse(node.iter)}"
        ctx = _LoopCtx(())
        self.contexts.append(ctx)
        body_in = entry if forever else self.cond(entry, text, True, line)
        out = self.stmts(node.body, body_in) + ctx.continues
        self.graph.connect(out, head, back=True)
        self.contexts.pop()
        leave = [] if forever else self.cond(entry, text, False, line)
        self.graph.loop_exits[self.graph.nodes[head].loop] = [source for source, _ in leave]  # type: ignore[index]
        return self.stmts(node.orelse, leave) + ctx.breaks

    def try_(self, node: ast.Try, preds: list[Pred]) -> list[Pred]:
        finally_ctx = _FinallyCtx() if any(id(s) in self.significant for s in node.finalbody) else None
        if finally_ctx is not None:
            self.contexts.append(finally_ctx)
        handlers: list[tuple[tuple[str, ...], list[Pred]]] = []
        for handler in node.handlers:
            if handler.type is None:
                types: tuple[str, ...] = ("BaseException",)
            else:
                elts = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                types = tuple(ast.unparse(e).rsplit(".", 1)[-1] for e in elts)
            handlers.append((types, []))
        if handlers:
            self.contexts.append(_TryCtx(handlers))
        if handlers and preds:  # anything in a Python try body may raise
            self.jump(_Jump("throw", "?", preds))
        out = self.stmts(node.body, preds)
        if handlers:
            self.contexts.pop()
        out = self.stmts(node.orelse, out)
        for (types, entry), handler in zip(handlers, node.handlers, strict=True):
            if entry:
                self.handler_types.append(types[0])
                out = out + self.stmts(handler.body, entry)
                self.handler_types.pop()
        if finally_ctx is None:
            return out
        self.contexts.pop()
        normal = self.stmts(node.finalbody, out) if out else []
        for (kind, key), route in finally_ctx.routes.items():
            after = self.stmts(node.finalbody, route)
            if after:
                self.jump(_Jump(kind, key, after))
        return normal

    def expr(self, node: ast.AST | None, preds: list[Pred]) -> list[Pred]:
        if node is None or not preds or id(node) not in self.significant or isinstance(node, _PY_NESTED):
            return preds
        if isinstance(node, ast.IfExp):
            preds = self.expr(node.test, preds)
            text = ast.unparse(node.test)
            return (self.expr(node.body, self.cond(preds, text, True, node.lineno))
                    + self.expr(node.orelse, self.cond(preds, text, False, node.lineno)))
        for child in ast.iter_child_nodes(node):
            preds = self.expr(child, preds)
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            span = self.span(node)
            if span in self.logs:
                return [(self.node(preds, "log", line, statement=self.logs[span]), None)]
            if span in self.calls:
                call = self.node(preds, "call", line, callees=self.calls[span], expr=ast.unparse(node.func))
                self.jump(_Jump("throw", "*", [(call, ())]))
                return [(call, None)]
        elif isinstance(node, ast.Assign) and _py_literal(node.value):
            target = " = ".join(ast.unparse(t) for t in node.targets)
            return [(self.node(preds, "assign", line, target=target, expr=ast.unparse(node.value)), None)]
        return preds


def _py_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant))


def build_python_lcfg(method: str, function: ast.AST, parsed: Any, logs: Mapping[tuple[int, int], str],
                      calls: Mapping[tuple[int, int], tuple[str, ...]], *,
                      is_subtype: Callable[[str, str], bool] = python_is_subtype) -> Lcfg:
    """The LCFG of one Python function or lambda; ``parsed`` (a ``PythonFile``) turns nodes into byte spans."""
    def span(node: ast.AST) -> tuple[int, int]:
        return (parsed.byte(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                parsed.byte(node.end_lineno or node.lineno, node.end_col_offset or 0))  # type: ignore[attr-defined]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, BUILD_RECURSION_LIMIT))
    try:
        return _PythonBuilder(method, span, logs, calls, is_subtype).build(function)
    except RecursionError:
        starts = parsed.line_starts
        sites = ((site, bisect_right(starts, site[0]), "Call") for site in sorted({*logs, *calls}))
        return _linear_lcfg(method, sites, logs, calls, is_subtype)
    finally:
        sys.setrecursionlimit(limit)
