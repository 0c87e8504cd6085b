"""Per-method facts of a Java file from one tree-sitter query: call sites, jumps, literal assignments, local types.

The control-flow builder (``lcfg``) and the call graph (``callgraph``) both need to know, for every method, where
its calls, ``return`` / ``throw`` / ``break`` / ``continue`` statements and flag-like assignments are, and which
declared type each local variable has. One query over the whole file finds them all in C; a linear sweep then
gives each node to the innermost method body that contains it, so lambdas and anonymous classes (methods of their
own) keep their calls to themselves.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from synthlog.code.java import LANGUAGE

CALL_TYPES = frozenset({"method_invocation", "object_creation_expression", "explicit_constructor_invocation"})
ASSIGN_TYPES = frozenset({"assignment_expression", "variable_declarator"})

_LITERAL = ("[(true) (false) (null_literal) (decimal_integer_literal) (hex_integer_literal) (octal_integer_literal)"
            " (binary_integer_literal) (decimal_floating_point_literal) (string_literal) (character_literal)]")
_QUERY = f"""
(method_invocation) @call
(object_creation_expression) @call
(explicit_constructor_invocation) @call
(return_statement) @jump
(throw_statement) @jump
(yield_statement) @jump
(break_statement) @jump
(continue_statement) @jump
(assignment_expression left: [(identifier) (field_access)] operator: "=" right: {_LITERAL}) @assign
(variable_declarator value: {_LITERAL}) @assign
(local_variable_declaration) @local
(catch_formal_parameter) @local
(enhanced_for_statement) @local
(resource type: (_)) @local
"""


@cache
def _query() -> Query:
    return Query(LANGUAGE, _QUERY)


@dataclass(slots=True)
class MethodSites:
    """What one method body holds, in source order (its nested lambdas and classes excluded)."""

    calls: list[Node] = field(default_factory=list)
    jumps: list[Node] = field(default_factory=list)
    assigns: list[Node] = field(default_factory=list)  # only ``x = <literal>`` and ``T x = <literal>``
    declarations: list[Node] = field(default_factory=list)  # nodes that declare local variables
    _local_types: dict[str, str] | None = None

    @property
    def local_types(self) -> dict[str, str]:
        """Local variable -> declared type (source text); flow-insensitive, computed on first use."""
        if self._local_types is None:
            self._local_types = {}
            for node in self.declarations:
                _declared(node, self._local_types)
        return self._local_types


def _declared(node: Node, out: dict[str, str]) -> None:
    """Record the declared type of the variables ``node`` declares."""
    kind = node.type
    if kind == "local_variable_declaration":
        type_node = node.child_by_field_name("type")
        if type_node is None:
            return
        type_text = type_node.text.decode("utf-8", "replace")
        for decl in node.children_by_field_name("declarator"):
            name = decl.child_by_field_name("name")
            if name is not None:
                out[name.text.decode("utf-8", "replace")] = type_text
    elif kind == "catch_formal_parameter":
        name = node.child_by_field_name("name")
        types = [c for c in node.named_children if c.type == "catch_type"]
        if name is not None and types:
            first = types[0].named_children
            if first:
                out[name.text.decode("utf-8", "replace")] = first[0].text.decode("utf-8", "replace")
    else:  # enhanced_for_statement, resource
        type_node = node.child_by_field_name("type")
        name = node.child_by_field_name("name")
        if type_node is not None and name is not None:
            out[name.text.decode("utf-8", "replace")] = type_node.text.decode("utf-8", "replace")


_GROUPS = {"call": "calls", "jump": "jumps", "assign": "assigns", "local": "declarations"}


def collect_sites(root: Node, bodies: list[tuple[int, int]]) -> list[MethodSites]:
    """Facts for each method body ``(start_byte, end_byte)`` in ``bodies`` (same order), from one query.

    Bodies must nest properly (as syntax trees do); a node belongs to the innermost body that contains it.
    Nodes outside every body (field initialisers, say) are dropped.
    """
    result = [MethodSites() for _ in bodies]
    if not bodies:
        return result
    order = sorted(range(len(bodies)), key=lambda i: (bodies[i][0], -bodies[i][1]))
    starts = [bodies[i][0] for i in order]
    ends = [bodies[i][1] for i in order]
    parent = [-1] * len(order)  # position of the enclosing body in ``order``
    stack: list[int] = []
    for k in range(len(order)):
        while stack and ends[stack[-1]] <= starts[k]:
            stack.pop()
        parent[k] = stack[-1] if stack else -1
        stack.append(k)
    for name, nodes in QueryCursor(_query()).captures(root).items():
        group = _GROUPS[name]
        lists = [getattr(result[i], group) for i in order]  # the list each body in ``order`` gets
        spans = [(node.start_byte, node.end_byte) for node in nodes]
        # source order: the bindings give captures in an order that varies between processes
        for j in sorted(range(len(nodes)), key=spans.__getitem__):
            start, end = spans[j]
            k = bisect_right(starts, start) - 1
            while k >= 0 and ends[k] < end:
                k = parent[k]
            if k >= 0:
                lists[k].append(nodes[j])
    return result
