"""Call graph of a whole code base, which methods may log, and each such method's LCFG.

Methods are named ``<package>.<Class>.<name>(<param types>)`` (``Class`` with ``$`` for nested, anonymous and local
classes, as the scanner names them); :attr:`Method.display` is the short ``Class.name`` used in paths.

A Java call is resolved through the declared type of its receiver (local, parameter, field, ``this``, ``super``,
``Outer.this``, a static class name, the declared return type of a resolved call, a cast, ``new``), then through the
class hierarchy: the declaration found walking up ``extends`` / ``implements``, plus every override in a subclass
(virtual dispatch). Calls on types outside the code base (``list.add``) have no edge. When the receiver's type is
unknown, the call falls back on methods of the same name and arity, but only when few classes declare one
(:data:`FALLBACK_LIMIT`); several candidates are kept as an ambiguous edge instead of guessing one. Python calls
resolve ``self.m()`` / ``cls.m()`` in the class (and its bases by name), plain ``f()`` in the module, and fall back
on name like Java.

"May log" is computed with a worklist from the methods that log directly: only call sites whose name matches a
method already known to log are ever resolved, which keeps the analysis of a large code base cheap. LCFGs are built
on demand (:meth:`CallGraph.lcfg`) and cached; ``build_all`` builds every one (for measurements and export).
"""

from __future__ import annotations

import ast
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from synthlog.code.java import MethodInfo, simple_type
from synthlog.code.lcfg import JDK_EXCEPTION_PARENTS, Lcfg, SiteInfo, build_java_lcfg, build_python_lcfg
from synthlog.code.python import iter_methods as iter_python_methods
from synthlog.code.scan import ScanResult, gc_paused, scan
from synthlog.code.sites import MethodSites, collect_sites
from synthlog.errors import InputError

FALLBACK_LIMIT = 4  # a call with an unknown receiver may resolve by name to at most this many methods


@dataclass(slots=True)
class Method:
    """One method-like body of the code base (method, constructor, initializer, lambda)."""

    id: str
    display: str  # Class.name
    cls: str  # class key: package.Class$Inner (Python: module.Class or the module)
    name: str
    arity: int
    info: MethodInfo
    file: str  # relative path
    language: str
    public: bool = False
    static: bool = False
    returns: str = ""  # declared return type (simple name), Java only
    sites: MethodSites | None = None
    logs: dict[tuple[int, int], str] = field(default_factory=dict)  # span -> Statement id
    calls: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)  # resolved sites (filled lazily)


@dataclass(slots=True)
class ClassEntry:
    key: str
    simple: str
    file: str
    declared: list[str] = field(default_factory=list)  # simple names of extends / implements, as written
    supers: list[str] = field(default_factory=list)  # class keys (resolved) of extends / implements
    subs: list[str] = field(default_factory=list)
    methods: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (name, arity) -> method ids
    outer: str | None = None
    java: Any = None  # java.ClassInfo (fields, file) or None for Python


@dataclass
class ResolutionStats:
    """How call sites were resolved (only the sites the analysis needed to look at)."""

    typed: int = 0  # through a declared type or ``this``
    fallback: int = 0  # by name and arity, receiver type unknown
    ambiguous: int = 0  # more than one candidate
    external: int = 0  # receiver type outside the code base
    unresolved: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class CallGraph:
    """Methods, classes and the calls between them, with may-log analysis and LCFGs (see the module docstring)."""

    def __init__(self, result: ScanResult):
        self.scan = result
        self.methods: dict[str, Method] = {}
        self.classes: dict[str, ClassEntry] = {}
        self._by_simple: dict[str, list[str]] = {}
        self._by_name: dict[tuple[str, int], list[str]] = {}
        self._py_by_name: dict[str, list[str]] = {}
        self._imports: dict[str, dict[str, str]] = {}
        self._packages: dict[str, str] = {}
        self._lcfgs: dict[str, Lcfg] = {}
        self._virtual_cache: dict[tuple[str, str, int, bool], list[str]] = {}
        self._class_keys_cache: dict[tuple[str, str], list[str]] = {}
        self._field_cache: dict[tuple[str, str], str | None] = {}
        self._variable_cache: dict[tuple[str, str], str | None] = {}
        self._owners_cache: dict[tuple[str, int], int] = {}
        self.stats = ResolutionStats()
        self.may_log: set[str] = set()
        self.called: set[str] = set()  # methods some resolved call site calls (all callers of may-log methods)
        self.seconds = 0.0
        started = time.perf_counter()
        with gc_paused():
            self._index_java()
            self._index_python()
            self._link_hierarchy()
            self._compute_may_log()
        self.seconds = time.perf_counter() - started

    # -- indexing -----------------------------------------------------------------------------------------------
    def _index_java(self) -> None:
        statements = {}
        for s in self.scan.statements:
            statements.setdefault(s.file, []).append(s)
        for rel in sorted(self.scan.java_files):
            java = self.scan.java_files[rel]
            package = java.package
            self._packages[rel] = package
            self._imports[rel] = _java_imports(java.tree.root_node)
            for cls in java.classes:
                key = f"{package}.{cls.name}" if package else cls.name
                outer = key.rsplit("$", 1)[0] if "$" in cls.name else None
                self.classes[key] = ClassEntry(key, cls.name.rsplit("$", 1)[-1], rel, declared=list(cls.supertypes),
                                               outer=outer, java=cls)
                self._by_simple.setdefault(cls.name.rsplit("$", 1)[-1], []).append(key)
            methods = [m for m in java.methods if m.node is not None]
            sites = collect_sites(java.tree.root_node, [(m.node.start_byte, m.node.end_byte) for m in methods])
            by_span = {(s.start_byte, s.end_byte): s.id for s in statements.get(rel, [])}
            for info, method_sites in zip(methods, sites, strict=True):
                cls_key = f"{package}.{info.cls}" if package else info.cls
                types = ",".join(simple_type(t, keep_array=True) if t else "?" for _, t in info.params)
                mid = f"{cls_key}.{info.name}({types})"
                if mid in self.methods:  # e.g. two initializer blocks: number them
                    mid = f"{mid}#{info.line}"
                mods = _modifiers(info.decl)
                returns = info.decl.child_by_field_name("type") if info.kind == "method" else None
                method = Method(mid, f"{info.cls}.{info.name}", cls_key, info.name, len(info.params), info, rel,
                                "java", public="public" in mods, static=info.static,
                                returns=simple_type(_text(returns), keep_array=True) if returns is not None else "",
                                sites=method_sites)
                if by_span:
                    for call in method_sites.calls:
                        span = (call.start_byte, call.end_byte)
                        if span in by_span:
                            method.logs[span] = by_span[span]
                self._add(method)

    def _index_python(self) -> None:
        statements = {}
        for s in self.scan.statements:
            if s.language == "python":
                statements.setdefault(s.file, []).append(s)
        if not statements:  # Python calls resolve to Python functions only: none can log
            return
        for rel in sorted(self.scan.python_files):
            parsed = self.scan.python_files[rel]
            module = parsed.module
            self._packages[rel] = module
            bases: dict[str, list[str]] = {}
            for tree in parsed.trees:
                for node in _class_defs(tree):
                    bases[node.name] = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
            methods = list(iter_python_methods(parsed, rel))
            spans = sorted((s.start_byte, s.end_byte, s.id) for s in statements.get(rel, []))
            for info in methods:
                cls_key = f"{module}.{info.cls}" if info.cls != module else module
                if cls_key not in self.classes:
                    simple = info.cls.rsplit(".", 1)[-1]
                    entry = ClassEntry(cls_key, simple, rel)
                    self.classes[cls_key] = entry
                    self._by_simple.setdefault(simple, []).append(cls_key)
                    entry.declared = bases.get(simple, [])
                params = [p for p, _ in info.params]
                arity = len(params) - (1 if params and params[0] in ("self", "cls") else 0)
                mid = f"{cls_key}.{info.name}({arity})"
                if mid in self.methods:
                    mid = f"{mid}#{info.line}"
                short = info.cls.rsplit(".", 1)[-1] if info.cls != module else module.rsplit(".", 1)[-1]
                method = Method(mid, f"{short}.{info.name}", cls_key, info.name.rsplit(".", 1)[-1], arity, info,
                                rel, "python", public=not info.name.startswith("_"), static=info.static)
                method.logs = {(s, e): sid for s, e, sid in spans if info.start_byte <= s < info.end_byte
                               and _innermost_python(methods, info, s)}
                self._add(method)

    def _add(self, method: Method) -> None:
        self.methods[method.id] = method
        entry = self.classes.get(method.cls)
        if entry is not None:
            entry.methods.setdefault((method.name, method.arity), []).append(method.id)
        self._by_name.setdefault((method.name, method.arity), []).append(method.id)
        if method.language == "python":
            self._py_by_name.setdefault(method.name, []).append(method.id)

    def _link_hierarchy(self) -> None:
        for key in sorted(self.classes):
            entry = self.classes[key]
            supers: list[str] = []
            for simple in entry.declared:
                supers.extend(k for k in self.class_keys(simple, entry.file) if k != key and k not in supers)
            entry.supers = supers
            for sup in supers:
                self.classes[sup].subs.append(key)

    # -- names and types ----------------------------------------------------------------------------------------
    def class_keys(self, simple: str, rel: str) -> list[str]:
        """Classes a simple (or dotted) type name written in file ``rel`` may denote, best guess first."""
        return list(self._class_keys(simple, rel))

    def _class_keys(self, written: str, rel: str) -> list[str]:
        """:meth:`class_keys`, cached (the classes are all known once indexing is done); do not modify the list."""
        key = (written, rel)
        found = self._class_keys_cache.get(key)
        if found is None:
            found = self._class_keys_cache[key] = self._find_class_keys(written, rel)
        return found

    def _find_class_keys(self, simple: str, rel: str) -> list[str]:
        simple = simple_type(simple)
        candidates = self._by_simple.get(simple, [])
        if len(candidates) <= 1:
            return list(candidates)
        imported = self._imports.get(rel, {}).get(simple)
        if imported is not None:
            exact = [k for k in candidates if k.replace("$", ".") == imported]
            if exact:
                return exact
        package = self._packages.get(rel, "")
        here = [k for k in candidates if self.classes[k].file == rel]
        if here:
            return here
        same_package = [k for k in candidates if k.rsplit(".", 1)[0] == package and "$" not in k.rsplit(".", 1)[-1]]
        return same_package or list(candidates)

    def lookup_up(self, cls: str, name: str, arity: int, seen: set[str] | None = None) -> list[str]:
        """Declarations of ``name/arity`` in ``cls`` or the nearest supertypes that declare it."""
        seen = seen if seen is not None else set()
        if cls in seen or cls not in self.classes:
            return []
        seen.add(cls)
        entry = self.classes[cls]
        found = entry.methods.get((name, arity))
        if found:
            return list(found)
        out: list[str] = []
        for sup in entry.supers:
            out.extend(m for m in self.lookup_up(sup, name, arity, seen) if m not in out)
        return out

    def overrides_down(self, cls: str, name: str, arity: int) -> list[str]:
        """Overrides of ``name/arity`` in every subclass of ``cls`` (breadth first, deterministic)."""
        out: list[str] = []
        queue = deque(self.classes[cls].subs if cls in self.classes else [])
        seen: set[str] = set()
        while queue:
            sub = queue.popleft()
            if sub in seen:
                continue
            seen.add(sub)
            out.extend(self.classes[sub].methods.get((name, arity), []))
            queue.extend(self.classes[sub].subs)
        return out

    def virtual(self, classes: Iterable[str], name: str, arity: int, dispatch: bool = True) -> list[str]:
        """Methods a call ``name/arity`` on a receiver of one of ``classes`` may run."""
        out: list[str] = []
        for cls in classes:
            found = self._virtual_one(cls, name, arity, dispatch)
            out.extend(m for m in found if m not in out) if out else out.extend(found)
        return out

    def _virtual_one(self, cls: str, name: str, arity: int, dispatch: bool) -> list[str]:
        """:meth:`virtual` for one class, cached; do not modify the list."""
        key = (cls, name, arity, dispatch)
        found = self._virtual_cache.get(key)
        if found is None:
            found = self.lookup_up(cls, name, arity)
            if dispatch:
                found += [m for m in self.overrides_down(cls, name, arity) if m not in found]
            self._virtual_cache[key] = found
        return found

    # -- resolution ---------------------------------------------------------------------------------------------
    def resolve(self, method: Method, site: Node | ast.Call, depth: int = 0) -> tuple[str, ...]:
        """Candidate callees of one call site of ``method`` (empty: outside the code base or unknown)."""
        if method.language == "python":
            return self._resolve_python(method, site)  # type: ignore[arg-type]
        if site.type == "method_invocation":
            name_node = site.child_by_field_name("name")
            if name_node is None:
                return ()
            return self._resolve_java(method, site, _text(name_node), depth)
        return self._resolve_java(method, site, "<init>", depth)

    def _resolve_java(self, method: Method, site: Node, name: str, depth: int) -> tuple[str, ...]:
        """:meth:`resolve` for a Java site whose called name (``<init>`` for constructors) is known."""
        kind = site.type
        arity = _arity(site.child_by_field_name("arguments"))
        if kind == "object_creation_expression":
            type_node = site.child_by_field_name("type")
            classes = self._class_keys(_text(type_node), method.file) if type_node is not None else []
            return self._count(tuple(self.virtual(classes, "<init>", arity, dispatch=False)), typed=bool(classes))
        if kind == "explicit_constructor_invocation":
            target = site.child_by_field_name("constructor")
            own = self.classes.get(method.cls)
            classes = [method.cls] if target is not None and target.type == "this" else (own.supers if own else [])
            return self._count(tuple(self.virtual(classes, "<init>", arity, dispatch=False)), typed=True)
        receiver = site.child_by_field_name("object")
        if receiver is None:  # this class, then the classes around it
            cls: str | None = method.cls
            while cls is not None:
                found = self._virtual_one(cls, name, arity, True)
                if found:
                    return self._count(tuple(found), typed=True)
                entry = self.classes.get(cls)
                cls = entry.outer if entry is not None else None
            return self._count((), typed=True)
        if receiver.type == "super":
            own = self.classes.get(method.cls)
            return self._count(tuple(self.virtual(own.supers if own else [], name, arity, dispatch=False)), True)
        classes, static = self._expr_classes(method, receiver, depth)
        if classes is None:
            candidates = self._by_name.get((name, arity), [])
            if 0 < self._owner_count(name, arity) <= FALLBACK_LIMIT:
                self.stats.fallback += 1
                return self._count(tuple(candidates), typed=False)
            self.stats.unresolved += 1
            return ()
        if not classes:
            self.stats.external += 1
            return ()
        if len(classes) == 1:
            return self._count(tuple(self._virtual_one(classes[0], name, arity, not static)), typed=True)
        return self._count(tuple(self.virtual(classes, name, arity, dispatch=not static)), typed=True)

    def _owner_count(self, name: str, arity: int) -> int:
        """How many classes declare a Java method ``name/arity`` (cached)."""
        key = (name, arity)
        count = self._owners_cache.get(key)
        if count is None:
            count = self._owners_cache[key] = len({self.methods[m].cls for m in self._by_name.get(key, [])})
        return count

    def _count(self, found: tuple[str, ...], typed: bool) -> tuple[str, ...]:
        if typed:
            self.stats.typed += 1
        if len(found) > 1:
            self.stats.ambiguous += 1
        return found

    def _expr_classes(self, method: Method, node: Node, depth: int) -> tuple[list[str] | None, bool]:
        """Classes the value of ``node`` may belong to: (None if unknown, [] if outside the code base; static?)."""
        kind = node.type
        if depth > 4:
            return None, False
        if kind == "identifier":
            name = _text(node)
            declared = self._variable_type(method, name)
            if declared is not None:
                return self._class_keys(declared, method.file), False
            if name[:1].isupper():  # a class name: static call
                found = self._class_keys(name, method.file)
                return (found or []), True
            return None, False
        if kind == "this":
            return [method.cls], False
        if kind == "field_access":
            obj, fld = node.child_by_field_name("object"), node.child_by_field_name("field")
            if obj is None or fld is None:
                return None, False
            if fld.type == "this":  # Outer.this
                return self._class_keys(_text(obj), method.file) or None, False
            owners, _ = self._expr_classes(method, obj, depth + 1)
            if owners is None:
                if _text(obj)[:1].isupper():  # a dotted class name: pkg.Cls or Outer.Inner
                    return self._class_keys(_text(node), method.file) or [], True
                return None, False
            field_name = _text(fld)
            declared = next((f for f in (self._field_type(o, field_name) for o in owners) if f), None)
            return (self._class_keys(declared, method.file) if declared else None), False
        if kind == "method_invocation":
            callees = self.resolve(method, node, depth + 1)
            returns = {self.methods[c].returns for c in callees if self.methods[c].returns}
            if len(returns) == 1:
                return self._class_keys(returns.pop(), method.file), False
            return None, False
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self._expr_classes(method, node.named_children[0], depth + 1)
        if kind in ("cast_expression", "object_creation_expression"):
            type_node = node.child_by_field_name("type")
            return (self._class_keys(_text(type_node), method.file) if type_node else None), False
        return None, False

    def _variable_type(self, method: Method, name: str) -> str | None:
        key = (method.id, name)
        if key in self._variable_cache:
            return self._variable_cache[key]
        found = self._find_variable_type(method, name)
        self._variable_cache[key] = found
        return found

    def _find_variable_type(self, method: Method, name: str) -> str | None:
        sites = method.sites
        if sites is not None and name in sites.local_types:
            return sites.local_types[name]
        for pname, ptype in method.info.params:
            if pname == name:
                return ptype or None
        cls: str | None = method.cls
        while cls is not None:
            found = self._field_type(cls, name)
            if found:
                return found
            cls = self.classes[cls].outer if cls in self.classes else None
        return None

    def _field_type(self, cls: str, name: str) -> str | None:
        key = (cls, name)
        if key in self._field_cache:
            return self._field_cache[key]
        entry = self.classes.get(cls)
        found = entry.java.file.field_of(entry.java, name) if entry is not None and entry.java is not None else None
        declared = found.type if found is not None and found.type else None
        self._field_cache[key] = declared
        return declared

    def _resolve_python(self, method: Method, call: ast.Call) -> tuple[str, ...]:
        func = call.func
        arity = len(call.args) + len(call.keywords)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            found = self._python_arity(self.virtual([method.cls], func.attr, arity), func.attr, method.cls)
            return self._count(tuple(found), typed=True)
        if isinstance(func, ast.Name):
            module = self._packages.get(method.file, "")
            local = [m for m in self._python_named(func.id) if self.methods[m].cls == module]
            if local:
                return self._count(tuple(local), typed=True)
            classes = [k for k in self.class_keys(func.id, method.file) if self.classes[k].file.endswith(".py")]
            if classes:
                return self._count(tuple(self.virtual(classes, "__init__", arity)), typed=True)
            candidates = self._python_named(func.id)
        elif isinstance(func, ast.Attribute):
            candidates = self._python_named(func.attr)
        else:
            return ()
        owners = {self.methods[m].cls for m in candidates}
        if 0 < len(owners) <= FALLBACK_LIMIT:
            self.stats.fallback += 1
            return self._count(tuple(candidates), typed=False)
        self.stats.unresolved += 1
        return ()

    def _python_named(self, name: str) -> list[str]:
        return self._py_by_name.get(name, [])

    def _python_arity(self, found: list[str], name: str, cls: str) -> list[str]:
        """Python arities are loose (defaults, ``*args``): any method of that name when the arity misses."""
        if found:
            return found
        return self.virtual([cls], name, next((a for (n, a) in self.classes[cls].methods if n == name), -1)) \
            if cls in self.classes else []

    # -- may-log ------------------------------------------------------------------------------------------------
    def _java_sites(self, method: Method) -> list[tuple[str, Node, tuple[int, int]]]:
        """(called name, site, its span) for every call of a Java ``method`` that is not a logging call; a
        constructor call is named ``<init>``."""
        out = []
        logs = method.logs
        source = self.scan.java_files[method.file].source  # slicing it is cheaper than Node.text
        for site in method.sites.calls if method.sites is not None else ():
            span = (site.start_byte, site.end_byte)
            if span in logs:
                continue
            if site.type == "method_invocation":
                name = site.child_by_field_name("name")
                if name is not None:
                    out.append((source[name.start_byte:name.end_byte].decode("utf-8", "replace"), site, span))
            else:  # new X(...), this(...), super(...)
                out.append(("<init>", site, span))
        return out

    def _python_sites(self, method: Method) -> Iterator[tuple[str, ast.Call, tuple[int, int]]]:
        """(called name, call, its span) for every call of a Python ``method`` that is not a logging call."""
        parsed = self.scan.python_files[method.file]
        for call in _python_calls(method.info.node):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name:
                span = (parsed.byte(call.lineno, call.col_offset),
                        parsed.byte(call.end_lineno or call.lineno, call.end_col_offset or 0))
                if span not in method.logs:
                    yield name, call, span

    def _compute_may_log(self) -> None:
        """Worklist from the methods that log; a call site is resolved once, when a method of its name may log."""
        # called name -> (caller, site, span) not resolved yet
        unresolved: dict[str, list[tuple[Method, Any, tuple[int, int]]]] = {}
        for method in self.methods.values():
            for name, site, span in self._java_sites(method) if method.language == "java" \
                    else self._python_sites(method):
                sites = unresolved.get(name)
                if sites is None:
                    unresolved[name] = [(method, site, span)]
                else:
                    sites.append((method, site, span))
        # callee -> (caller, span, candidates) of the sites that may call it
        waiting: dict[str, list[tuple[Method, tuple[int, int], tuple[str, ...]]]] = {}
        queue = deque(mid for mid, m in self.methods.items() if m.logs)
        may_log = self.may_log = set(queue)
        called = self.called
        while queue:
            callee_id = queue.popleft()
            callee = self.methods[callee_id]
            for name in self._called_names(callee):
                for caller, site, span in unresolved.pop(name, ()):
                    if caller.language == "java":
                        targets = self._resolve_java(caller, site, name, 0)
                    else:
                        targets = self._resolve_python(caller, site)
                    if not targets:
                        continue
                    called.update(targets)
                    entry = (caller, span, targets)
                    for target in targets:
                        pending = waiting.get(target)
                        if pending is None:
                            waiting[target] = [entry]
                        else:
                            pending.append(entry)
            for caller, span, targets in waiting.pop(callee_id, ()):
                caller.calls[span] = targets
                if caller.id not in may_log:
                    may_log.add(caller.id)
                    queue.append(caller.id)
        for method in self.methods.values():  # keep only candidates that may log, in a stable order
            if method.calls:
                method.calls = {span: tuple(sorted(t for t in targets if t in may_log))
                                for span, targets in method.calls.items()}

    def _called_names(self, method: Method) -> list[str]:
        """Names under which call sites reach ``method`` (a Python ``__init__`` is called by its class name)."""
        if method.language == "python" and method.name == "__init__":
            return [method.name, self.classes[method.cls].simple] if method.cls in self.classes else [method.name]
        return [method.name]

    # -- LCFGs --------------------------------------------------------------------------------------------------
    def lcfg(self, method_id: str) -> Lcfg:
        """The LCFG of a method (built once, then cached)."""
        graph = self._lcfgs.get(method_id)
        if graph is None:
            method = self.methods[method_id]
            if method.language == "java":
                graph = build_java_lcfg(method_id, method.info.node, SiteInfo(method.logs, method.calls,
                                                                               method.sites or MethodSites()),
                                        param_types={n: t for n, t in method.info.params if t},
                                        is_subtype=self.is_subtype)
            else:
                graph = build_python_lcfg(method_id, method.info.node, self.scan.python_files[method.file],
                                          method.logs, method.calls)
            self._lcfgs[method_id] = graph
        return graph

    def build_all(self) -> dict[str, Lcfg]:
        """LCFGs of every method that may log (the others log nothing on any path)."""
        with gc_paused():
            return {mid: self.lcfg(mid) for mid in sorted(self.may_log)}

    def is_subtype(self, sub: str, sup: str) -> bool:
        """Exception subtyping by simple names: declared supertypes in the code base, then the JDK table."""
        seen: set[str] = set()
        current = [sub]
        while current:
            if sup in current:
                return True
            following: list[str] = []
            for name in current:
                if name in seen:
                    continue
                seen.add(name)
                keys = self._by_simple.get(name, [])
                for key in keys:
                    following.extend(self.classes[key].declared)
                if not keys and name in JDK_EXCEPTION_PARENTS:
                    following.append(JDK_EXCEPTION_PARENTS[name])
            current = following
        return False

    # -- lookup by name -----------------------------------------------------------------------------------------
    def find(self, name: str) -> list[str]:
        """Methods matching ``Class.method`` (class simple, binary or qualified; all overloads), sorted."""
        if "." not in name:
            raise InputError(f"method {name!r} must be written Class.method")
        cls, _, method_name = name.rpartition(".")
        if "(" in method_name:  # an exact id
            return [name] if name in self.methods else []
        found = []
        for mid, method in self.methods.items():
            if method.name != method_name and method.info.name != method_name:
                continue
            key = method.cls
            short = key.rsplit(".", 1)[-1]
            if key == cls or short == cls or key.endswith("." + cls) or short.endswith("$" + cls):
                found.append(mid)
        return sorted(found)


def _modifiers(decl: Any) -> str:
    for child in getattr(decl, "children", []):
        if child.type == "modifiers":
            return _text(child)
    return ""


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def _arity(arguments: Node | None) -> int:
    """Number of arguments in an ``argument_list`` (comments are named children too, but no arguments)."""
    if arguments is None:
        return 0
    named = arguments.named_child_count
    if named == 0 or arguments.child_count == 2 * named + 1:  # "(", n arguments, n - 1 commas, ")": no comment
        return named
    return sum(1 for a in arguments.named_children if a.type not in ("line_comment", "block_comment"))


def _java_imports(root: Node) -> dict[str, str]:
    imports = {}
    for child in root.named_children:
        if child.type == "import_declaration":
            raw = _text(child).removeprefix("import").removesuffix(";").strip()
            if raw.startswith("static ") or raw.endswith("*"):
                continue
            imports[raw.rsplit(".", 1)[-1]] = raw
    return imports


def _class_defs(tree: ast.Module) -> Iterator[ast.ClassDef]:
    """The class definitions of a module in :func:`ast.walk` order (breadth first), visiting statements only
    (a class is always a statement; expressions, most of a tree, cannot hold one)."""
    queue: deque[ast.AST] = deque([tree])
    while queue:
        node = queue.popleft()
        if isinstance(node, ast.ClassDef):
            yield node
        queue.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, _STATEMENT_LIKE))


_STATEMENT_LIKE = (ast.stmt, ast.excepthandler, ast.match_case)


def _python_calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls in a function body, not descending into nested functions, lambdas or classes."""
    body = node.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else [node.body]  # type: ignore
    stack = list(reversed(body))
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        children: list[ast.AST] = []  # ast.iter_child_nodes, without its two generators per node
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                children.append(value)
            elif isinstance(value, list):
                children.extend(item for item in value if isinstance(item, ast.AST))
        stack.extend(child for child in reversed(children) if not isinstance(child, _NESTED_SCOPES))


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _innermost_python(methods: list[MethodInfo], owner: MethodInfo, start: int) -> bool:
    """Whether byte ``start`` lies in ``owner`` and in none of the functions nested inside it."""
    return not any(m is not owner and owner.start_byte <= m.start_byte <= start < m.end_byte for m in methods)


def build_call_graph(src_root: str | os.PathLike[str] | ScanResult, exclude: Sequence[str] = ()) -> CallGraph:
    """Scan ``src_root`` (or take a finished scan) and build its call graph."""
    if isinstance(src_root, ScanResult):
        return CallGraph(src_root)
    with gc_paused():  # the scan, too, allocates many long-lived objects (trees, statements)
        return CallGraph(scan(src_root, exclude))
