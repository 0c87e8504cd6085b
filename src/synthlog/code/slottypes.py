"""Declared types of the expressions that fill a Java logging statement's ``<*>`` slots.

Usage::

    types = slot_types(scan_result)          # statement id -> (SlotType per slot, ...)
    types["S1a2b3c4d5e"][0]                  # SlotType(name='int'), SlotType(name='ServerState', constants=(...))

Each slot expression is looked up in the code the statement sits in: locals, parameters and fields (inherited
ones too, through the code base's :class:`~synthlog.code.java.CodeIndex`), fields of other objects whose class is
in the code base, the declared return type of a method of the same class or of a receiver whose type resolves,
casts, literals, arithmetic, comparisons and a few library calls whose output shape is fixed
(``Long.toHexString(x)`` prints hex, ``f.getName()`` a file name, ``e.getMessage()`` the exception's message,
``list.size()`` an int). An enum type brings its declared constants; a caught exception brings the messages of
the ``throw new X("...")`` statements of its ``try`` block that it catches. A slot whose type cannot be found gets
``SlotType()`` (name ``""``); the value generator then falls back on the expression's names and the literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from synthlog.code.java import ClassInfo, FieldInfo, JavaFile, _Folder, _java_string, simple_type, text
from synthlog.code.records import Statement
from synthlog.code.template import WILDCARD, Var

NUMERIC_TYPES = frozenset({"int", "long", "short", "byte", "float", "double", "Integer", "Long", "Short", "Byte",
                           "Float", "Double", "AtomicLong", "AtomicInteger", "BigInteger", "BigDecimal", "Number"})
COLLECTION_TYPES = frozenset({"List", "ArrayList", "LinkedList", "Set", "HashSet", "TreeSet", "LinkedHashSet",
                              "Collection", "Queue", "Deque", "ArrayDeque", "Vector", "SortedSet",
                              "CopyOnWriteArrayList", "Iterable"})
_FLOATS = frozenset({"float", "double", "Float", "Double", "BigDecimal"})
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||", "instanceof"})
_FILE_TYPES = frozenset({"File", "Path"})
# library calls whose result has a fixed type or print shape, by method name: (type, shape)
_FIXED_CALLS = {
    "toHexString": ("String", "hex"), "currentTimeMillis": ("long", "timestamp"), "nanoTime": ("long", ""),
    "size": ("int", ""), "length": ("int", ""), "hashCode": ("int", ""), "ordinal": ("int", ""),
    "getPort": ("int", ""), "getLocalPort": ("int", ""), "getSimpleName": ("String", "class_name"),
    "getRemoteSocketAddress": ("SocketAddress", ""), "getLocalSocketAddress": ("SocketAddress", ""),
    "getInetAddress": ("InetAddress", ""), "getLocalAddress": ("InetAddress", ""),
    "getHostAddress": ("String", "ip"), "getHostName": ("String", "hostname"),
    "getCanonicalHostName": ("String", "hostname"), "isEmpty": ("boolean", ""), "contains": ("boolean", ""),
    "equals": ("boolean", ""), "exists": ("boolean", ""), "isDirectory": ("boolean", ""),
    "delete": ("boolean", ""), "mkdirs": ("boolean", ""), "getMessage": ("String", "message"),
    "getLocalizedMessage": ("String", "message"),
}
_PATH_CALLS = frozenset({"getAbsolutePath", "getPath", "getCanonicalPath", "getAbsoluteFile", "getCanonicalFile",
                         "getParent", "getParentFile", "toPath", "toAbsolutePath", "toFile", "normalize",
                         "resolve", "getRoot"})


@dataclass(frozen=True, slots=True)
class SlotType:
    """What the code says about one slot's value.

    ``name``: the simple declared type (``int``, ``InetSocketAddress``, ``File``, ``ServerState``, ``String[]``),
    ``""`` when unknown. ``shape``: how the value prints beyond its type (``hex``, ``file_name``, ``message``,
    ``class_name``, ``hostname``, ``ip``, ``timestamp``). ``constants``: an enum's declared constants.
    ``messages``: for an exception (or its message), the templates of messages thrown where it is caught.
    ``qualified``: the exception's package-qualified name when its class is in the code base.
    """

    name: str = ""
    shape: str = ""
    constants: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    qualified: str = ""
    inner: tuple[tuple[SlotType, ...], ...] = ()  # per constant that is a template: its own slots' types

    @property
    def known(self) -> bool:
        return bool(self.name or self.shape)

    def describe(self) -> str:
        """Short text for summaries: ``int``, ``String(hex)``, ``ServerState{4}``."""
        out = self.name or "?"
        if self.shape:
            out += f"({self.shape})"
        if self.constants:
            out += f"{{{len(self.constants)}}}"
        return out


UNKNOWN = SlotType()


def slot_types(scan) -> dict[str, tuple[SlotType, ...]]:
    """Statement id -> one :class:`SlotType` per slot, for every Java statement of a
    :class:`~synthlog.code.scan.ScanResult` (statements of other languages get unknown types)."""
    out: dict[str, tuple[SlotType, ...]] = {}
    typers: dict[str, _Typer] = {}
    printed: dict[tuple[str, str], SlotType] = {}  # shared by every file's typer: classes print alike everywhere
    for statement in scan.statements:
        java = scan.java_files.get(statement.file) if statement.language == "java" else None
        if java is None or not statement.args:
            out[statement.id] = tuple(UNKNOWN for _ in statement.args)
            continue
        typer = typers.get(statement.file)
        if typer is None:
            typer = typers[statement.file] = _Typer(java, printed)
        out[statement.id] = typer.statement_types(statement)
    return out


class _Typer:
    """Types of expressions inside one parsed file."""

    def __init__(self, file: JavaFile, printed: dict[tuple[str, str], SlotType] | None = None):
        self.file = file
        self._enum_constants: dict[tuple[str, str], tuple[str, ...]] = {}
        self._printed_cache = printed if printed is not None else {}

    def statement_types(self, statement: Statement) -> tuple[SlotType, ...]:
        root = self.file.tree.root_node
        call = root.descendant_for_byte_range(statement.start_byte, statement.end_byte)
        while call is not None and not (call.start_byte == statement.start_byte and call.end_byte ==
                                        statement.end_byte):
            call = call.parent
        if call is None:
            return tuple(UNKNOWN for _ in statement.args)
        by_text = _expressions(call)
        out = []
        for expr in statement.args:
            node = by_text.get(expr)
            try:
                out.append(self.type_of(node) if node is not None else UNKNOWN)
            except RecursionError:
                out.append(UNKNOWN)
        return tuple(out)

    # -- expressions ------------------------------------------------------------------------------------------
    def type_of(self, node: Node, depth: int = 0) -> SlotType:
        if depth > 12:
            return UNKNOWN
        kind = node.type
        if kind == "identifier":
            return self._variable(node)
        if kind in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal",
                    "binary_integer_literal"):
            return SlotType("long" if text(node)[-1:] in "lL" else "int")
        if kind == "decimal_floating_point_literal":
            return SlotType("double")
        if kind in ("true", "false"):
            return SlotType("boolean")
        if kind in ("string_literal", "character_literal"):
            return SlotType("String")
        if kind in ("parenthesized_expression", "update_expression") and node.named_child_count:
            return self.type_of(node.named_children[0], depth + 1)
        if kind in ("cast_expression", "object_creation_expression", "array_creation_expression"):
            type_node = node.child_by_field_name("type")
            if type_node is None:
                return UNKNOWN
            suffix = "[]" if kind == "array_creation_expression" else ""
            return self._named(simple_type(text(type_node), keep_array=True) + suffix)
        if kind == "ternary_expression":
            branches = [node.child_by_field_name(f) for f in ("consequence", "alternative")]
            if all(b is not None and b.type == "string_literal" for b in branches):  # c ? "Second " : ""
                return SlotType("String", constants=tuple(_java_string(text(b)) for b in branches))
            # c ? " which had sessionid 0x" + Long.toHexString(id) : " (no session)": one of two templates
            typed = [self._typed_template(b) for b in branches if b is not None]
            if len(typed) == 2 and all(t and t != WILDCARD for t, _ in typed):
                return SlotType("String", constants=tuple(t for t, _ in typed), inner=tuple(i for _, i in typed))
            return self.type_of(branches[0], depth + 1) if branches[0] is not None else UNKNOWN
        if kind == "unary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type == "!":
                return SlotType("boolean")
            operand = node.child_by_field_name("operand")
            return self.type_of(operand, depth + 1) if operand is not None else UNKNOWN
        if kind == "instanceof_expression":
            return SlotType("boolean")
        if kind == "binary_expression":
            return self._binary(node, depth)
        if kind == "array_access":
            array = node.child_by_field_name("array")
            if array is None:
                return UNKNOWN
            inner = self.type_of(array, depth + 1)
            return self._named(inner.name[:-2]) if inner.name.endswith("[]") else UNKNOWN
        if kind == "field_access":
            return self._field_access(node, depth)
        if kind == "method_invocation":
            return self._call(node, depth)
        return UNKNOWN

    def _binary(self, node: Node, depth: int) -> SlotType:
        op = node.child_by_field_name("operator")
        if op is not None and op.type in _COMPARISONS:
            return SlotType("boolean")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        sides = [self.type_of(n, depth + 1) for n in (left, right) if n is not None]
        if any(s.name == "String" for s in sides):
            return SlotType("String")
        if sides and all(s.name in NUMERIC_TYPES for s in sides):
            return SlotType("double" if any(s.name in _FLOATS for s in sides) else "long")
        return UNKNOWN

    def _variable(self, node: Node) -> SlotType:
        name = text(node)
        found = self.file.lookup(node, name)
        declared = found.type if isinstance(found, FieldInfo) else found
        if not declared:
            return UNKNOWN
        result = self._named(simple_type(declared, keep_array=True))
        if _throwable(result.name):
            messages = self._caught_messages(node, name, result.name)
            if messages:
                return SlotType(result.name, result.shape, result.constants, messages, result.qualified)
        return result

    def _field_access(self, node: Node, depth: int) -> SlotType:
        obj, name_node = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj is None or name_node is None:
            return UNKNOWN
        name, owner = text(name_node), text(obj)
        if owner in ("this", "super") or self.file.names_class(node, owner):
            found = self.file.accessed_field(node)
        else:
            owner_type = self.type_of(obj, depth + 1)
            if name == "length" and owner_type.name.endswith("[]"):
                return SlotType("int")
            found = self._member_field(owner_type.name, name)
        return self._named(simple_type(found.type, keep_array=True)) if found is not None and found.type else UNKNOWN

    def _call(self, node: Node, depth: int) -> SlotType:
        name_node, obj = node.child_by_field_name("name"), node.child_by_field_name("object")
        if name_node is None:
            return UNKNOWN
        name = text(name_node)
        args = node.child_by_field_name("arguments")
        arg_nodes = [a for a in args.named_children if "comment" not in a.type] if args is not None else []
        receiver = self.type_of(obj, depth + 1) if obj is not None and obj.type != "this" else UNKNOWN
        owner = text(obj) if obj is not None else ""
        if name in ("getMessage", "getLocalizedMessage") and _throwable(receiver.name):
            return SlotType("String", "message", messages=receiver.messages, qualified=receiver.qualified)
        if name == "toString" and owner in ("Long", "Integer") and len(arg_nodes) == 2 \
                and text(arg_nodes[1]) == "16":
            return SlotType("String", "hex")
        if name in ("valueOf", "toString") and owner in ("String", "Long", "Integer", "Objects", "Arrays") \
                and arg_nodes:
            inner = self.type_of(arg_nodes[0], depth + 1)
            return SlotType("String") if owner != "String" and not inner.known else inner
        if name == "toString" and obj is not None and not arg_nodes:
            return receiver
        if name == "getName" and receiver.name in _FILE_TYPES:
            return SlotType("File", "file_name")
        if name == "getFileName" and receiver.name == "Path":
            return SlotType("File", "file_name")
        if name in _PATH_CALLS and receiver.name in _FILE_TYPES:
            return SlotType("File")
        if name == "getAddress" and receiver.name.endswith("SocketAddress"):
            return SlotType("InetAddress")
        if name == "getName" and obj is not None and text(obj).endswith("getClass()"):
            return SlotType("String", "class_name")
        fixed = _FIXED_CALLS.get(name)
        if fixed is not None:
            return SlotType(*fixed)
        returned = self._return_type(node, obj, receiver, name, len(arg_nodes))
        return self._named(simple_type(returned, keep_array=True)) if returned else UNKNOWN

    # -- the code base ----------------------------------------------------------------------------------------
    def _classes(self, simple: str) -> list[ClassInfo]:
        """The code base's classes of that simple name (a copy: callers may change it)."""
        index = self.file.index
        if index is not None:
            return list(index.classes(simple))
        return [c for c in self.file.classes if c.name.rsplit("$", 1)[-1] == simple]

    def _member_field(self, type_name: str, name: str) -> FieldInfo | None:
        for cls in self._classes(type_name.removesuffix("[]")) if type_name else []:
            found = cls.file.field_of(cls, name)
            if found is not None:
                return found
        return None

    def _return_type(self, node: Node, obj: Node | None, receiver: SlotType, name: str, arity: int) -> str:
        """Declared return type of method ``name`` of this class (and its outer classes) or of the receiver's."""
        if obj is None or text(obj) in ("this", "super"):
            classes, cls = [], self.file.class_of(node)
            while cls is not None:
                classes.append(cls)
                cls = self.file.class_of(cls.node)
        elif receiver.name:
            classes = self._classes(receiver.name)
        elif text(obj)[:1].isupper():  # a static call: Util.now()
            classes = self._classes(text(obj).rsplit(".", 1)[-1])
        else:
            return ""
        seen: set[str] = set()
        while classes:
            cls = classes.pop(0)
            if cls.name in seen:
                continue
            seen.add(cls.name)
            for method in cls.file.methods:
                if method.cls == cls.name and method.name == name and len(method.params) == arity \
                        and method.kind == "method":
                    type_node = method.decl.child_by_field_name("type")
                    return text(type_node) if type_node is not None else ""
            for supertype in cls.supertypes:
                classes.extend(self._classes(supertype))
        return ""

    def _named(self, name: str) -> SlotType:
        """A type by simple name, with the constants of an enum, the package of an exception of the code base, and
        what any other class of the code base prints (:meth:`_printed`)."""
        if not name:
            return UNKNOWN
        # simple names repeat across packages: the statement's own package first
        for cls in sorted(self._classes(name), key=lambda c: c.file.package != self.file.package):
            package = cls.file.package
            qualified = f"{package}.{cls.name}" if package else cls.name
            if cls.node.type == "enum_declaration":
                return SlotType(name, constants=self._constants(cls))
            if _throwable(name):
                return SlotType(name, qualified=qualified)
            if cls.node.type == "class_declaration":
                return self._printed(name, cls, qualified)
        return SlotType(name)

    def _printed(self, name: str, cls: ClassInfo, qualified: str) -> SlotType:
        """A class's ``toString()`` as a template (``blk_<*>``), one level of same-class getters inlined; or, when
        neither it nor a superclass of the code base declares one and its superclass chain ends at ``Object``,
        Java's default ``pkg.Class@1b2c3d``; else just the name."""
        key = (cls.file.path, cls.name)
        cached = self._printed_cache.get(key)
        if cached is not None:
            return cached
        result = self._printed_cache[key] = SlotType(name)  # until known: a toString that prints itself stops here
        current: ClassInfo | None = cls
        seen: set[str] = set()
        while current is not None and current.name not in seen:
            seen.add(current.name)
            method = self._method(current, "toString")
            if method is not None:
                template, inner = self._returned_template(current, method)
                if template and template != WILDCARD:
                    result = SlotType(name, "to_string", constants=(template,), inner=(inner,))
                break
            superclass = current.node.child_by_field_name("superclass")
            if superclass is None:
                result = SlotType(name, "object", qualified=qualified)
                break
            parents = [c for c in self._classes(simple_type(text(superclass).removeprefix("extends").strip()))
                       if c.node.type == "class_declaration"]
            current = parents[0] if parents else None  # a library superclass: its toString is unknown
        self._printed_cache[key] = result
        return result

    @staticmethod
    def _method(cls: ClassInfo, name: str):
        return next((m for m in cls.file.methods if m.cls == cls.name and m.name == name and not m.params
                     and m.kind == "method"), None)

    def _returned_template(self, cls: ClassInfo, method, depth: int = 0) -> tuple[str, tuple[SlotType, ...]]:
        """The template of the one ``return`` of a method (a no-argument same-class call inlined once)."""
        returns, stack = [], [method.node] if method.node is not None else []
        while stack:
            current = stack.pop()
            if current.type == "return_statement":
                returns.append(current)
            elif current.type not in ("class_body", "lambda_expression"):
                stack.extend(current.named_children)
        if len(returns) != 1 or not returns[0].named_children:
            return "", ()
        expr = returns[0].named_children[0]
        if expr.type == "method_invocation" and depth == 0 and expr.child_by_field_name("object") is None:
            args = expr.child_by_field_name("arguments")
            callee = self._method(cls, text(expr.child_by_field_name("name")))
            if callee is not None and (args is None or not args.named_children):
                return self._returned_template(cls, callee, depth + 1)
        return self._typed_template(expr, cls.file)

    def _constants(self, cls: ClassInfo) -> tuple[str, ...]:
        cached = self._enum_constants.get((cls.file.path, cls.name))
        if cached is None:
            body = cls.body
            names = [text(c.child_by_field_name("name")) for c in (body.named_children if body is not None else [])
                     if c.type == "enum_constant" and c.child_by_field_name("name") is not None]
            cached = self._enum_constants[(cls.file.path, cls.name)] = tuple(names)
        return cached

    def _caught_messages(self, node: Node, name: str, caught: str) -> tuple[str, ...]:
        """Message templates of ``throw new X(...)`` in the try block whose catch declares ``name``, for the X it
        catches (the same class, a subclass in the code base, or anything for ``Exception`` / ``Throwable``)."""
        cur = node.parent
        while cur is not None and cur.type != "catch_clause":
            cur = cur.parent
        if cur is None:
            return ()
        param = next((c for c in cur.named_children if c.type == "catch_formal_parameter"), None)
        var = param.child_by_field_name("name") if param is not None else None
        try_node = cur.parent
        body = try_node.child_by_field_name("body") if try_node is not None else None
        if var is None or text(var) != name or body is None:
            return ()
        messages: list[str] = []
        stack = [body]
        while stack:
            current = stack.pop()
            if current.type == "throw_statement":
                created = current.named_children[0] if current.named_children else None
                if created is not None and created.type == "object_creation_expression":
                    thrown = simple_type(text(created.child_by_field_name("type") or created))
                    arguments = created.child_by_field_name("arguments")
                    first = arguments.named_children[0] if arguments is not None and arguments.named_children \
                        else None
                    if first is not None and self._catches(caught, thrown):
                        message = self._template(first)
                        if message and message not in messages:
                            messages.append(message)
            elif current.type not in ("class_body", "lambda_expression", "try_statement"):
                stack.extend(current.named_children)
        return tuple(messages)

    def _catches(self, caught: str, thrown: str) -> bool:
        if caught in ("Exception", "Throwable") or caught == thrown:
            return True
        pending, seen = [thrown], set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            for cls in self._classes(name):
                if caught in cls.supertypes:
                    return True
                pending.extend(cls.supertypes)
        return False

    def _template(self, node: Node) -> str:
        return self._typed_template(node, types=False)[0]

    def _typed_template(self, node: Node, file: JavaFile | None = None,
                        types: bool = True) -> tuple[str, tuple[SlotType, ...]]:
        """A string expression as a template, with the types of its slots (looked up in ``file``)."""
        file = file or self.file
        try:
            pieces, is_string = _Folder(file, node).pieces(node)
        except RecursionError:
            return "", ()
        if not is_string:
            return "", ()
        template = "".join(WILDCARD if isinstance(p, Var) else p for p in pieces)
        if not types:
            return template, ()
        typer = self if file is self.file else _Typer(file, self._printed_cache)
        nodes = _expressions(node)
        return template, tuple(typer.type_of(nodes[p.expr], 1) if p.expr in nodes else UNKNOWN
                               for p in pieces if isinstance(p, Var))


def _expressions(root: Node) -> dict[str, Node]:
    """Source text of every expression under ``root`` -> its node (the first, outermost one)."""
    by_text: dict[str, Node] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        by_text.setdefault(text(node), node)
        stack.extend(reversed(node.named_children))
    return by_text


def _throwable(name: str) -> bool:
    return name.endswith(("Exception", "Error", "Throwable"))


# ---- thread names --------------------------------------------------------------------------------------------

ThreadName = tuple[str, tuple[SlotType, ...]]  # template and the types of its slots


def thread_names(scan) -> dict[str, ThreadName]:
    """Class name (``Outer$Inner``) -> the name its threads carry, from the code: ``setName(...)`` in the class,
    ``super("SendWorker:" + sid)`` in a constructor of a ``Thread`` subclass, or ``new Thread(this, "name")``
    (in that order of preference)."""
    found: dict[str, dict[str, tuple[_Typer, Node]]] = {}
    printed: dict[tuple[str, str], SlotType] = {}
    for rel in sorted(scan.java_files):
        java = scan.java_files[rel]
        typer: _Typer | None = None
        root = java.tree.root_node
        for match in _THREAD_CALL.finditer(java.source):  # candidates by text, confirmed on the tree
            node = root.descendant_for_byte_range(match.start(), match.start() + 1)
            while node is not None and node.type not in ("method_invocation", "explicit_constructor_invocation",
                                                          "object_creation_expression"):
                node = node.parent
            cls = java.class_of(node) if node is not None else None
            if cls is None:
                continue
            typer = typer or _Typer(java, printed)
            named = _thread_naming(typer, cls, node)
            if named is not None:
                found.setdefault(cls.name, {}).setdefault(named[0], (typer, named[1]))
    out: dict[str, ThreadName] = {}
    for name, candidates in found.items():
        for kind in ("setName", "super", "new"):
            if kind in candidates:
                typer, expr = candidates[kind]
                template, types = typer._typed_template(expr)
                if template and template != WILDCARD:
                    out[name] = (template, types)
                    break
    return out


_THREAD_CALL = re.compile(rb"\bsetName\s*\(|\bsuper\s*\(|\bnew\s+Thread\s*\(")


def _thread_naming(typer: _Typer, cls: ClassInfo, node: Node) -> tuple[str, Node] | None:
    """(how, name expression) when ``node`` names the thread of ``cls``."""
    args = node.child_by_field_name("arguments")
    values = [a for a in args.named_children if "comment" not in a.type] if args is not None else []
    if node.type == "method_invocation":
        receiver = node.child_by_field_name("object")
        if text(node.child_by_field_name("name")) == "setName" and len(values) == 1 \
                and (receiver is None or text(receiver) == "this"):
            return "setName", values[0]
    elif node.type == "explicit_constructor_invocation":
        if text(node).startswith("super") and values and _thread_subclass(typer, cls):
            # Thread(String name), Thread(ThreadGroup group, String name), Thread(Runnable r, String name)
            return "super", values[0] if len(values) == 1 else values[1]
    elif simple_type(text(node.child_by_field_name("type"))) == "Thread" and len(values) == 2 \
            and text(values[0]) == "this":
        return "new", values[1]
    return None


def _thread_subclass(typer: _Typer, cls: ClassInfo) -> bool:
    pending, seen = list(cls.supertypes), set()
    while pending:
        name = pending.pop()
        if name == "Thread":
            return True
        if name in seen:
            continue
        seen.add(name)
        for parent in typer._classes(name):
            pending.extend(parent.supertypes)
    return False
