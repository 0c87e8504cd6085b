"""Java front end: parse with tree-sitter-java, name classes and methods as javac does, find logging calls.

Classes get their binary names without the package (``Outer$Inner``, anonymous ``Outer$1``, local ``Outer$1Local``);
lambdas are methods of their own (``lambda$run$0``); constructors are ``<init>``, static initializers ``<clinit>``.
Loggers are recognised through the declared type of the receiver (field, parameter, local, a field of another class
of the code base, inherited fields), falling back on the conventional names (``LOG``, ``logger``, ``stateChangeLog``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter_java
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from synthlog.code.records import Statement
from synthlog.code.template import (
    MESSAGE_FORMAT,
    PRINTF,
    SLF4J,
    Piece,
    Var,
    has_literal,
    printf_choice,
    render,
    substitute,
)

LANGUAGE = Language(tree_sitter_java.language())
_PARSER = Parser(LANGUAGE)

TYPE_DECLARATIONS = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                               "annotation_type_declaration"})
CLASS_BODIES = frozenset({"class_body", "interface_body", "enum_body", "enum_body_declarations",
                          "annotation_type_body"})
METHOD_DECLARATIONS = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})

# level of each logging method name (SLF4J, Log4j 1/2, commons-logging, java.util.logging)
LEVELS = {"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL",
          "severe": "ERROR", "warning": "WARN", "config": "INFO", "fine": "DEBUG", "finer": "TRACE",
          "finest": "TRACE"}
LOGGER_TYPES = frozenset({"Log", "Logger", "Category", "ExtendedLogger", "LocationAwareLogger", "XLogger"})
LOGGER_FACTORIES = frozenset({"getLog", "getLogger", "getLOG", "log", "logger", "getInstance"})
CONVENTIONAL_LOGGER = re.compile(r"^_?(?:log|logger|LOG|LOGGER|Log|Logger)$|^[a-z]\w*(?:Log|Logger|LOG)$"
                                 r"|^[A-Z_]+_LOG(?:GER)?$")
GUARD = re.compile(r"\bis(?:Trace|Debug|Info|Warn|Error|Fatal)Enabled\b|\bisLoggable\b|\bisEnabledFor\b")
THROWABLE_NAMES = re.compile(r"^(?:e|ex|exc|t|th|err|ioe|ie|cause|throwable|e\d)$|(?:Exception|Error|Throwable)$")
_ESCAPE = re.compile(r"\\(u+[0-9a-fA-F]{4}|[0-7]{1,3}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "r": "\r", "f": "\f", "s": " ", "'": "'", '"': '"', "\\": "\\"}

_SCOPE_QUERY = Query(LANGUAGE, """
[(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
 (annotation_type_declaration)] @type
(object_creation_expression (class_body) @anon)
(enum_constant body: (class_body) @anon)
[(method_declaration) (constructor_declaration) (compact_constructor_declaration)] @method
(static_initializer) @clinit
(class_body (block) @init)
(enum_body_declarations (block) @init)
(lambda_expression) @lambda
""")
# candidate logging calls are found by their method name in the raw bytes, then confirmed on the tree: much
# faster than a tree query, since most method invocations are not logging calls
_CALL_NAME = re.compile(rb"\b(trace|debug|info|warn|error|fatal|severe|warning|config|fine|finer|finest|log)\s*\(")


def parse_java(source: bytes) -> Tree:
    """Parse Java source with the one shared tree-sitter parser (it recovers from syntax errors)."""
    return _PARSER.parse(source)


def text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


@cache
def simple_type(type_text: str, keep_array: bool = False) -> str:
    """``java.util.Map<String, X>[]`` -> ``Map`` (``Map[]`` with ``keep_array``); ``Outer.Inner`` -> ``Inner``."""
    base = type_text.split("<", 1)[0].strip().rstrip("[]. ").strip()
    array = "[]" if keep_array and type_text.rstrip().endswith("]") else ""
    return base.rsplit(".", 1)[-1] + array


@dataclass(slots=True)
class MethodInfo:
    """A method-like body: method, constructor (``<init>``), initializer (``<clinit>`` / ``<init>``) or lambda.

    ``node`` is the body (a ``block``, ``constructor_body``, or a lambda's expression); ``decl`` the declaring node
    (for an instance initializer both are the ``block``). Nested classes and lambdas inside ``node`` are methods of
    their own: a control-flow builder should not descend into ``class_body`` or ``lambda_expression`` nodes.
    """

    cls: str
    name: str
    params: list[tuple[str, str]]  # (name, declared type; "" when inferred)
    node: Node | None
    decl: Node
    kind: str  # method | constructor | clinit | init | lambda
    start_byte: int
    end_byte: int
    line: int
    static: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.cls}.{self.name}"


@dataclass(slots=True)
class FieldInfo:
    """A field as the type environment sees it."""

    name: str
    type: str
    static: bool
    final: bool
    value: Node | None
    owner: JavaFile


@dataclass(slots=True)
class ClassInfo:
    """A class-like declaration: binary name, body node, declared supertypes (simple names)."""

    name: str
    node: Node  # the declaration (or, for anonymous classes, the class_body)
    body: Node | None
    supertypes: list[str]
    file: JavaFile


def _modifiers(decl: Node) -> str:
    for child in decl.children:
        if child.type == "modifiers":
            return text(child)
    return ""


def _params(node: Node | None) -> list[tuple[str, str]]:
    """Parameters of formal_parameters / a lambda's parameter list, as (name, type)."""
    if node is None:
        return []
    if node.type == "identifier":
        return [(text(node), "")]
    out = []
    for child in node.named_children:
        if child.type in ("formal_parameter", "spread_parameter", "receiver_parameter"):
            name = child.child_by_field_name("name")
            type_node = child.child_by_field_name("type")
            if name is None:  # spread_parameter: type then variable_declarator
                decl = next((c for c in child.named_children if c.type == "variable_declarator"), None)
                name = decl.child_by_field_name("name") if decl else None
                type_node = next((c for c in child.named_children if c.type not in ("modifiers",
                                                                                    "variable_declarator")), None)
            if name is not None:
                out.append((text(name), text(type_node) if type_node is not None else ""))
        elif child.type == "identifier":  # inferred lambda parameters
            out.append((text(child), ""))
    return out


def _supertypes(decl: Node) -> list[str]:
    names = []
    for child in decl.named_children:
        if child.type in ("superclass", "super_interfaces", "extends_interfaces"):
            for type_node in _descendants_of_type(child, ("type_identifier", "scoped_type_identifier",
                                                          "generic_type")):
                names.append(simple_type(text(type_node)))
    return names


def _descendants_of_type(node: Node, types: tuple[str, ...]) -> Iterator[Node]:
    for child in node.named_children:
        if child.type in types:
            yield child
        elif child.type in ("type_list",):
            yield from _descendants_of_type(child, types)


class JavaFile:
    """One parsed Java file: its classes and methods named as javac does, and a type environment over them."""

    def __init__(self, source: bytes, tree: Tree | None = None, path: str = "", index: CodeIndex | None = None):
        self.source = source
        self.tree = tree if tree is not None else parse_java(source)
        self.path = path
        self.index = index
        self.package = ""
        self.methods: list[MethodInfo] = []
        self.classes: list[ClassInfo] = []
        self._class_by_name: dict[str, ClassInfo] = {}
        self._method_by_node: dict[int, MethodInfo] = {}
        self._class_by_node: dict[int, ClassInfo] = {}
        self._fields: dict[int, dict[str, FieldInfo]] = {}
        self._name_scopes()

    # --- naming -------------------------------------------------------------------------------------------------
    def _name_scopes(self) -> None:
        root = self.tree.root_node
        for child in root.named_children:
            if child.type == "package_declaration":
                name = next((c for c in child.named_children if c.type in ("scoped_identifier", "identifier")), None)
                self.package = text(name) if name is not None else ""
        captures = QueryCursor(_SCOPE_QUERY).captures(root)
        found = [(node.start_byte, -node.end_byte, kind, node) for kind, nodes in captures.items() for node in nodes]
        found.sort(key=lambda item: item[:3])  # kind breaks ties: the bindings' capture order varies between runs
        used: set[str] = set()
        lambda_counts: dict[str, int] = {}
        # open scopes: (end_byte, ClassInfo | None, MethodInfo | None)
        stack: list[tuple[int, ClassInfo | None, MethodInfo | None]] = []
        for start, _neg_end, kind, node in found:
            while stack and stack[-1][0] <= start:
                stack.pop()
            owner = next((c for _, c, _m in reversed(stack) if c is not None), None)
            inside_method = bool(stack) and stack[-1][2] is not None
            if kind in ("type", "anon"):
                if kind == "anon":
                    name = self._local_name(owner, "", used)
                    body, decl, supers = node, node, []
                    parent = node.parent
                    if parent is not None and parent.type == "object_creation_expression":
                        type_node = parent.child_by_field_name("type")
                        supers = [simple_type(text(type_node))] if type_node is not None else []
                    elif owner is not None:
                        supers = [owner.name.rsplit("$", 1)[-1]]  # an enum constant body extends its enum
                else:
                    simple = text(node.child_by_field_name("name")) if node.child_by_field_name("name") else "?"
                    if owner is None:
                        name = simple
                    elif inside_method:
                        name = self._local_name(owner, simple, used)
                    else:
                        name = f"{owner.name}${simple}"
                    body, decl, supers = node.child_by_field_name("body"), node, _supertypes(node)
                used.add(name)
                info = ClassInfo(name, decl, body, supers, self)
                self.classes.append(info)
                self._class_by_name.setdefault(name, info)
                self._class_by_node[node.id] = info
                stack.append((node.end_byte, info, None))
                continue
            if owner is None:
                continue
            if kind == "method":
                name_node = node.child_by_field_name("name")
                is_ctor = node.type != "method_declaration"
                name = "<init>" if is_ctor else text(name_node) if name_node is not None else "?"
                params = _params(node.child_by_field_name("parameters"))
                mods = _modifiers(node)
                method = MethodInfo(owner.name, name, params, node.child_by_field_name("body"), node,
                                    "constructor" if is_ctor else "method", node.start_byte, node.end_byte,
                                    node.start_point.row + 1, "static" in mods.split())
            elif kind == "clinit":
                block = next((c for c in node.named_children if c.type == "block"), None)
                method = MethodInfo(owner.name, "<clinit>", [], block, node, "clinit", node.start_byte,
                                    node.end_byte, node.start_point.row + 1, True)
            elif kind == "init":
                method = MethodInfo(owner.name, "<init>", [], node, node, "init", node.start_byte, node.end_byte,
                                    node.start_point.row + 1)
            else:  # lambda
                enclosing = next((m for _, _c, m in reversed(stack) if m is not None), None)
                if enclosing is not None and enclosing.cls == owner.name:
                    base = enclosing.name.split("$")[1] if enclosing.kind == "lambda" else enclosing.name
                else:
                    base = "static" if self._in_static_field(node) else "new"
                base = {"<init>": "new", "<clinit>": "static"}.get(base, base)
                number = lambda_counts.get(owner.name, 0)
                lambda_counts[owner.name] = number + 1
                method = MethodInfo(owner.name, f"lambda${base}${number}",
                                    _params(node.child_by_field_name("parameters")), node.child_by_field_name("body"),
                                    node, "lambda", node.start_byte, node.end_byte, node.start_point.row + 1)
            self.methods.append(method)
            self._method_by_node[node.id] = method
            stack.append((node.end_byte, None, method))

    @staticmethod
    def _local_name(owner: ClassInfo | None, simple: str, used: set[str]) -> str:
        prefix = owner.name if owner is not None else ""
        number = 1
        while f"{prefix}${number}{simple}" in used:
            number += 1
        return f"{prefix}${number}{simple}"

    @staticmethod
    def _in_static_field(node: Node) -> bool:
        cur = node.parent
        while cur is not None and cur.type not in CLASS_BODIES:
            if cur.type == "field_declaration":
                return "static" in _modifiers(cur).split()
            cur = cur.parent
        return False

    # --- where a node is ----------------------------------------------------------------------------------------
    def enclosing(self, node: Node) -> tuple[ClassInfo | None, MethodInfo | None, str]:
        """The class and method-like scope around ``node`` and the method name to report.

        A node in a field initializer belongs to ``<init>`` (``<clinit>`` for a static field) of its class.
        """
        cur = node.parent
        static_field = False
        while cur is not None:
            method = self._method_by_node.get(cur.id)
            if method is not None:
                return self._class_by_name.get(method.cls), method, method.name
            cls = self._class_by_node.get(cur.id)
            if cls is not None:
                return cls, None, "<clinit>" if static_field else "<init>"
            if cur.type == "field_declaration":
                static_field = "static" in _modifiers(cur).split()
            cur = cur.parent
        return None, None, ""

    def class_of(self, node: Node) -> ClassInfo | None:
        cur = node.parent
        while cur is not None:
            cls = self._class_by_node.get(cur.id)
            if cls is not None:
                return cls
            cur = cur.parent
        return None

    # --- type environment ---------------------------------------------------------------------------------------
    def fields(self, cls: ClassInfo) -> dict[str, FieldInfo]:
        """Fields declared directly in ``cls`` (enum constants too), by name."""
        cached = self._fields.get(cls.node.id)
        if cached is not None:
            return cached
        table: dict[str, FieldInfo] = {}
        bodies = [cls.body] if cls.body is not None else []
        for body in bodies:
            for member in body.named_children:
                if member.type == "enum_body_declarations":
                    bodies.append(member)
                elif member.type == "enum_constant":
                    name = member.child_by_field_name("name")
                    if name is not None:
                        table[text(name)] = FieldInfo(text(name), cls.name.rsplit("$", 1)[-1], True, True, None, self)
                elif member.type in ("field_declaration", "constant_declaration"):
                    type_node = member.child_by_field_name("type")
                    mods = _modifiers(member).split()
                    interface = member.type == "constant_declaration"
                    for declarator in member.children_by_field_name("declarator"):
                        name = declarator.child_by_field_name("name")
                        if name is not None:
                            table[text(name)] = FieldInfo(text(name), text(type_node) if type_node else "",
                                                          interface or "static" in mods, interface or "final" in mods,
                                                          declarator.child_by_field_name("value"), self)
        self._fields[cls.node.id] = table
        return table

    def field_of(self, cls: ClassInfo, name: str, seen: set[str] | None = None) -> FieldInfo | None:
        """Field ``name`` of ``cls`` or of one of its supertypes found in the code base."""
        found = self.fields(cls).get(name)
        if found is not None or self.index is None:
            return found
        seen = seen if seen is not None else {cls.name}
        for supertype in cls.supertypes:
            for parent in self.index.classes(supertype):
                if parent.name in seen:
                    continue
                seen.add(parent.name)
                found = parent.file.field_of(parent, name, seen)
                if found is not None:
                    return found
        return None

    def local_type(self, node: Node, name: str) -> str | None:
        """Declared type of a local variable or parameter ``name`` visible at ``node`` ("" when inferred)."""
        cur = node
        while cur.parent is not None:
            parent = cur.parent
            kind = parent.type
            if kind in ("block", "constructor_body", "switch_block_statement_group", "switch_rule"):
                for child in parent.named_children:
                    if child.start_byte >= node.start_byte:
                        break
                    if child.type == "local_variable_declaration":
                        found = _declared(child, name)
                        if found is not None:
                            return found
            elif kind == "for_statement":
                init = parent.child_by_field_name("init")
                if init is not None and init.type == "local_variable_declaration":
                    found = _declared(init, name)
                    if found is not None:
                        return found
            elif kind == "enhanced_for_statement":
                var = parent.child_by_field_name("name")
                if var is not None and text(var) == name:
                    type_node = parent.child_by_field_name("type")
                    return text(type_node) if type_node is not None else ""
            elif kind == "catch_clause":
                param = next((c for c in parent.named_children if c.type == "catch_formal_parameter"), None)
                if param is not None:
                    var = param.child_by_field_name("name")
                    if var is not None and text(var) == name:
                        catch_type = next((c for c in param.named_children if c.type == "catch_type"), None)
                        return text(catch_type) if catch_type is not None else "Throwable"
            elif kind == "try_with_resources_statement":
                resources = parent.child_by_field_name("resources")
                for resource in resources.named_children if resources is not None else []:
                    var = resource.child_by_field_name("name")
                    if var is not None and text(var) == name:
                        type_node = resource.child_by_field_name("type")
                        return text(type_node) if type_node is not None else ""
            elif kind in METHOD_DECLARATIONS or kind == "lambda_expression":
                for pname, ptype in _params(parent.child_by_field_name("parameters")):
                    if pname == name:
                        return ptype
            elif kind in CLASS_BODIES:
                return None
            cur = parent
        return None

    def lookup(self, node: Node, name: str) -> str | FieldInfo | None:
        """What ``name`` means at ``node``: a local's declared type (str), a field (FieldInfo), or None."""
        local = self.local_type(node, name)
        if local is not None:
            return local
        cls = self.class_of(node)
        while cls is not None:
            found = self.field_of(cls, name)
            if found is not None:
                return found
            cls = self.class_of(cls.node)
        return None

    def declared_type(self, node: Node, name: str) -> str | None:
        """Declared type of the variable, parameter or field ``name`` visible at ``node`` (None if unknown)."""
        found = self.lookup(node, name)
        return found.type if isinstance(found, FieldInfo) else found

    def class_field(self, class_name: str, name: str) -> FieldInfo | None:
        """Field ``name`` of the class written ``class_name`` in the code (simple or dotted, e.g. ``NameNode``)."""
        simple = class_name.rsplit(".", 1)[-1]
        for cls in self.classes:
            if cls.name.rsplit("$", 1)[-1] == simple:
                return self.field_of(cls, name)
        if self.index is not None:
            for cls in self.index.classes(simple):
                found = cls.file.field_of(cls, name)
                if found is not None:
                    return found
        return None

    def names_class(self, node: Node, owner: str) -> bool:
        """Whether ``owner`` at ``node`` is written like a class (``Name``, ``pkg.Name``) and no variable shadows it."""
        return owner.rsplit(".", 1)[-1][:1].isupper() and self.lookup(node, owner) is None

    def accessed_field(self, node: Node) -> FieldInfo | None:
        """The field a ``this.x``, ``super.x`` or ``Class.X`` access names; None for other owners or unknown ones."""
        obj, name_node = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj is None or name_node is None:
            return None
        owner, name = text(obj), text(name_node)
        if owner in ("this", "super"):
            cls = self.class_of(node)
            return self.field_of(cls, name) if cls is not None else None
        return self.class_field(owner, name) if self.names_class(node, owner) else None

    def iter_methods(self) -> Iterator[MethodInfo]:
        return iter(self.methods)


def _declared(declaration: Node, name: str) -> str | None:
    for declarator in declaration.children_by_field_name("declarator"):
        var = declarator.child_by_field_name("name")
        if var is not None and text(var) == name:
            type_node = declaration.child_by_field_name("type")
            return text(type_node) if type_node is not None else ""
    return None


class CodeIndex:
    """The classes of a whole code base by simple name, for inherited loggers and constants of other classes."""

    def __init__(self) -> None:
        self._by_simple: dict[str, list[ClassInfo]] = {}
        self._constants: dict[tuple[int, str], str | None] = {}

    def add(self, file: JavaFile) -> None:
        file.index = self
        for cls in file.classes:
            simple = cls.name.rsplit("$", 1)[-1]
            if simple and not simple[0].isdigit():
                self._by_simple.setdefault(simple, []).append(cls)

    def classes(self, simple: str) -> list[ClassInfo]:
        return self._by_simple.get(simple, [])

    def constant(self, fld: FieldInfo) -> str | None:
        """The value of a final field whose initializer folds to literal text, else None."""
        if not fld.final or fld.value is None:
            return None
        key = (fld.value.id, fld.name)
        if key in self._constants:
            return self._constants[key]
        self._constants[key] = None  # guards against cycles
        pieces, _ = _Folder(fld.owner).pieces(fld.value)
        value = "".join(pieces) if all(isinstance(p, str) for p in pieces) else None  # type: ignore[arg-type]
        self._constants[key] = value
        return value


def iter_methods(tree: Tree, source: bytes) -> Iterator[MethodInfo]:
    """Every method-like body of a parsed file, in source order, named as javac names them."""
    return JavaFile(source, tree).iter_methods()


def _java_string(raw: str) -> str:
    """The value of a Java string or character literal's source (quotes included)."""
    if raw.startswith('"""'):
        body = raw[3:-3]
        lines = body.split("\n")[1:]
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        cut = min(indents) if indents else 0
        body = "\n".join(line[cut:] for line in lines)
    else:
        body = raw[1:-1]

    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u":
            return chr(int(code.lstrip("u"), 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return _SIMPLE_ESCAPES.get(code, code)
    return _ESCAPE.sub(unescape, body)


def _int_literal(raw: str) -> str:
    cleaned = raw.replace("_", "").rstrip("lL")
    try:
        if cleaned.startswith(("0x", "0X", "0b", "0B")):
            return str(int(cleaned, 0))
        if len(cleaned) > 1 and cleaned.startswith("0"):
            return str(int(cleaned, 8))
        return str(int(cleaned))
    except ValueError:
        return raw


class _Folder:
    """Turns a message expression into pieces: literals kept (constants folded), everything else a variable."""

    def __init__(self, file: JavaFile, anchor: Node | None = None):
        self.file = file
        # names are looked up from here (the logging call) rather than from deep inside a long expression
        self.anchor = anchor

    def pieces(self, node: Node) -> tuple[list[Piece], bool]:
        """Pieces of ``node`` and whether the expression is known to be a string."""
        kind = node.type
        if kind == "string_literal":
            return [_java_string(text(node))], True
        if kind == "character_literal":
            return [_java_string(text(node))], False
        if kind in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal",
                    "binary_integer_literal"):
            return [_int_literal(text(node))], False
        if kind in ("true", "false", "null_literal"):
            return [text(node)], False
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.pieces(node.named_children[0])
        if kind == "binary_expression" and _is_plus(node):
            return self._concatenation(node)
        if kind == "identifier":
            found = self.file.lookup(self.anchor or node, text(node))
            if isinstance(found, FieldInfo):
                value = self._constant(found)
                if value is not None:
                    return [value], simple_type(found.type) == "String"
            elif found is not None and simple_type(found) == "String":
                # a String local or parameter stays its own slot, so a caller's literal can fill it later
                return [Var(text(node))], True
        if kind == "field_access":
            found = self.file.accessed_field(node)
            if found is not None:
                value = self._constant(found)
                if value is not None:
                    return [value], simple_type(found.type) == "String"
        if kind == "method_invocation":
            formatted = self._formatted(node)
            if formatted is not None:
                return formatted, True
        return [Var(text(node))], False

    def _concatenation(self, node: Node) -> tuple[list[Piece], bool]:
        """``a + b + c`` evaluated left to right without recursing down the (left-deep) chain: once one side is a
        string, ``+`` concatenates; before that it adds numbers (one variable part)."""
        operands = []
        while node.type == "binary_expression" and _is_plus(node):
            operands.append(node.child_by_field_name("right"))
            node = node.child_by_field_name("left")
        pieces, is_string = self.pieces(node)
        for operand in reversed(operands):
            right, right_str = self.pieces(operand)
            if is_string or right_str:
                pieces, is_string = pieces + right, True
            else:
                pieces = [Var(self.file.source[node.start_byte:operand.end_byte].decode("utf-8", "replace"))]
        return pieces, is_string

    def _constant(self, fld: FieldInfo) -> str | None:
        index = self.file.index
        if index is None:
            index = CodeIndex()
            index.add(self.file)
        return index.constant(fld)

    def _formatted(self, node: Node) -> list[Piece] | None:
        """``String.format`` and ``MessageFormat.format`` with a literal pattern, else None."""
        obj, name = node.child_by_field_name("object"), node.child_by_field_name("name")
        if obj is None or name is None or text(name) != "format":
            return None
        owner = simple_type(text(obj))
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "block_comment"
                and a.type != "line_comment"]
        if not args:
            return None
        if owner == "String":
            if args[0].type not in ("string_literal", "binary_expression", "identifier", "field_access") \
                    and len(args) > 1 and args[1].type == "string_literal":
                args = args[1:]  # String.format(Locale, fmt, ...)
            pattern, is_string = self.pieces(args[0])
            if not is_string:
                return None
            return substitute(pattern, PRINTF, printf_choice([text(a) for a in args[1:]], java=True))[0]
        if owner == "MessageFormat":
            pattern, is_string = self.pieces(args[0])
            if not is_string:
                return None
            return message_format(pattern, [text(a) for a in args[1:]])
        return None


def literal_text(file: JavaFile, node: Node) -> str | None:
    """The text of an expression that folds to literal text (literals, constants, their concatenation), else None."""
    pieces, _ = _Folder(file, node).pieces(node)
    return "".join(pieces) if all(isinstance(p, str) for p in pieces) else None  # type: ignore[arg-type]


def _is_plus(node: Node) -> bool:
    op = node.child_by_field_name("operator")
    return op is not None and op.type == "+"


def message_format(pieces: list[Piece], values: list[str]) -> list[Piece]:
    """Fill ``{0}``-style MessageFormat placeholders; ``''`` is a quote."""
    def choose(match: re.Match[str], _n: int) -> Piece:
        index = int(match.group("index"))
        return Var(values[index] if index < len(values) else match.group(0))
    filled = substitute(pieces, MESSAGE_FORMAT, choose)[0]
    return [p.replace("''", "'") if isinstance(p, str) else p for p in filled]


def _arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return [a for a in args.named_children if a.type not in ("line_comment", "block_comment")]


class _CallReader:
    """Decides whether a method invocation is a logging call and, if so, makes its Statement."""

    def __init__(self, file: JavaFile, rel_path: str, partial: bool):
        self.file = file
        self.rel_path = rel_path
        self.partial = partial

    def is_logger(self, receiver: Node | None) -> bool:
        if receiver is None:
            return False
        kind = receiver.type
        if kind == "identifier":
            name = text(receiver)
            found = self.file.lookup(receiver, name)
            if found is None:
                return bool(CONVENTIONAL_LOGGER.match(name))
            declared = found.type if isinstance(found, FieldInfo) else found
            return simple_type(declared) in LOGGER_TYPES if declared else bool(CONVENTIONAL_LOGGER.match(name))
        if kind == "field_access":
            name_node = receiver.child_by_field_name("field")
            if name_node is None:
                return False
            found = self.file.accessed_field(receiver)
            if found is not None:
                return simple_type(found.type) in LOGGER_TYPES
            return bool(CONVENTIONAL_LOGGER.match(text(name_node)))
        if kind == "method_invocation":
            name_node = receiver.child_by_field_name("name")
            return name_node is not None and text(name_node) in LOGGER_FACTORIES
        return False

    def statement(self, call: Node, method_name: str) -> Statement | None:
        if not self.is_logger(call.child_by_field_name("object")):
            return None
        args = _arguments(call)
        level = LEVELS.get(method_name)
        jul_params = False
        if method_name == "log":
            if len(args) < 2:
                return None
            level_name = text(args[0]).rsplit(".", 1)[-1].lower()
            level = LEVELS.get(level_name, "INFO")
            args = args[1:]
            jul_params = True
        if not args or level is None:
            return None
        message, rest = args[0], args[1:]
        folder = _Folder(self.file, call)
        try:
            pieces, _ = folder.pieces(message)
        except RecursionError:  # absurdly nested message expression: keep it as one variable part
            pieces = [Var(text(message))]
        exception = None
        if rest and has_literal(pieces, SLF4J):
            values = [text(a) for a in rest]
            pieces, used = substitute(pieces, SLF4J, lambda m, n: Var(values[n]) if n < len(values) else m.group(0))
            if len(rest) > used:
                exception = values[-1]
        elif rest and jul_params and has_literal(pieces, MESSAGE_FORMAT) and not self._throwable(rest[0]):
            values = [text(a) for a in (_array_values(rest[0]) if rest[0].type == "array_creation_expression"
                                        else rest)]
            pieces = message_format(pieces, values)
        elif rest:
            exception = text(rest[-1])
        if rest:
            pieces = self._fold_arguments(pieces, folder, rest)
        template, slot_args = render(pieces)
        in_catch, guarded = self._context(call)
        cls, _method, name = self.file.enclosing(call)
        line = call.start_point.row + 1
        return Statement(id=statement_id(self.rel_path, line, call.start_point.column), file=self.rel_path,
                         line=line, end_line=call.end_point.row + 1, cls=cls.name if cls is not None else "",
                         method=name, level=level, template=template, args=slot_args, in_catch=in_catch,
                         exception=exception, start_byte=call.start_byte, end_byte=call.end_byte,
                         language="java", guarded=guarded, partial=self.partial)

    @staticmethod
    def _fold_arguments(pieces: list[Piece], folder: _Folder, rest: list[Node]) -> list[Piece]:
        """Placeholders filled with a constant argument (``LOG.info("x {}", PREFIX)``) become its text."""
        constants = {}
        for arg in rest:
            if arg.type in ("identifier", "field_access", "string_literal"):
                folded, _ = folder.pieces(arg)
                if all(isinstance(p, str) for p in folded):
                    constants[text(arg)] = "".join(folded)  # type: ignore[arg-type]
        if not constants:
            return pieces
        return [constants.get(p.expr, p) if isinstance(p, Var) else p for p in pieces]

    def _throwable(self, node: Node) -> bool:
        if node.type != "identifier":
            return False
        declared = self.file.declared_type(node, text(node))
        if declared:
            return bool(THROWABLE_NAMES.search(simple_type(declared)))
        return bool(THROWABLE_NAMES.match(text(node)))

    @staticmethod
    def _context(call: Node) -> tuple[bool, bool]:
        """(inside a catch block, inside an is*Enabled() guard), looking no further than the enclosing method."""
        in_catch = guarded = False
        cur = call.parent
        while cur is not None and cur.type not in METHOD_DECLARATIONS and cur.type not in CLASS_BODIES \
                and cur.type not in ("lambda_expression", "static_initializer"):
            if cur.type == "catch_clause":
                in_catch = True
            elif cur.type == "if_statement":
                condition = cur.child_by_field_name("condition")
                if condition is not None and GUARD.search(text(condition)):
                    guarded = True
            cur = cur.parent
        return in_catch, guarded


def _array_values(node: Node) -> list[Node]:
    init = node.child_by_field_name("value")
    return list(init.named_children) if init is not None else []


def statement_id(file: str, line: int, column: int) -> str:
    """A stable id from the statement's place: ``S`` + 10 hex digits of a hash of ``file:line:column``."""
    return "S" + hashlib.blake2b(f"{file}:{line}:{column}".encode(), digest_size=5).hexdigest()


def find_logging_calls(tree: Tree, source: bytes, file: str, java_file: JavaFile | None = None) -> list[Statement]:
    """The logging statements of one parsed Java file, in source order.

    ``java_file`` (the same tree wrapped, possibly registered in a :class:`CodeIndex`) lets loggers and constants
    of other classes of the code base be resolved; without it only this file is looked at.
    """
    java_file = java_file if java_file is not None else JavaFile(source, tree, file)
    reader = _CallReader(java_file, file, tree.root_node.has_error)
    root = tree.root_node
    statements = []
    for found in _CALL_NAME.finditer(source):
        start, end = found.span(1)
        name = root.named_descendant_for_byte_range(start, end)
        call = name.parent if name is not None else None
        if call is None or call.type != "method_invocation" or name.type != "identifier":
            continue
        name_field = call.child_by_field_name("name")
        if name_field is None or name_field.start_byte != start:
            continue
        statement = reader.statement(call, found.group(1).decode())
        if statement is not None:
            statements.append(statement)
    return statements

