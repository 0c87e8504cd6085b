"""Python front end: logging calls through ast, templates from %, f-strings, .format; spans; recovery."""

import ast

from synthlog.code.python import find_logging_calls, iter_methods, module_name, parse_python

SOURCE = '''\
import logging as lg
import logging

log = lg.getLogger(__name__)
PREFIX = "store"


class Store:
    class Inner:
        def f(self, x):
            self.logger.info("inner %s and %d", x, 3)

    def put(self, key, value):
        log.info(f"put {key} = {value!r} done ünïcode")
        try:
            pass
        except OSError:
            log.exception("failed to put %(k)s", {"k": key})
            lg.warning("{} then {name} {{braces}}".format(a, name=b))
        if log.isEnabledFor(logging.DEBUG):
            log.debug(PREFIX + ": size " + str(len(value)))
        log.log(logging.ERROR, "eager %s" % key, exc_info=True)
        printer.info("not a logger")


def top():
    cb = lambda: log.info("in lambda")
    return cb


log.info("module")
'''


def statements(source: str = SOURCE, file: str = "pkg/store.py"):
    return find_logging_calls(parse_python(source.encode(), module_name(file)), file)


def test_templates_from_every_formatting_style():
    found = {s.template: s for s in statements()}
    assert found["inner <*> and <*>"].args == ["x", "3"]
    assert found["inner <*> and <*>"].cls == "Store.Inner"
    assert found["put <*> = <*> done ünïcode"].args == ["key", "value"]
    failed = found["failed to put <*>"]
    assert failed.level == "ERROR" and failed.exception == "exc_info" and failed.in_catch and failed.args == ["key"]
    assert found["<*> then <*> {braces}"].args == ["a", "b"] and found["<*> then <*> {braces}"].level == "WARN"
    assert found["store: size <*>"].guarded
    assert found["eager <*>"].level == "ERROR" and found["eager <*>"].exception == "True"
    assert (found["in lambda"].cls, found["in lambda"].method) == ("pkg.store", "top.<locals>.<lambda>")
    assert (found["module"].cls, found["module"].method) == ("pkg.store", "<module>")
    assert "not a logger" not in found


def test_spans_are_byte_offsets_of_the_call():
    data = SOURCE.encode()
    found = statements()
    assert len(found) == 8
    for s in found:
        call = ast.parse(data[s.start_byte:s.end_byte].decode(), mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        assert s.language == "python" and s.line <= s.end_line


def test_methods_are_listed_with_class_and_params():
    parsed = parse_python(SOURCE.encode(), "pkg.store")
    names = [(m.cls, m.name, [p for p, _ in m.params]) for m in iter_methods(parsed)]
    assert names == [("Store.Inner", "f", ["self", "x"]), ("Store", "put", ["self", "key", "value"]),
                     ("pkg.store", "top", []), ("pkg.store", "top.<locals>.<lambda>", [])]


def test_a_file_with_a_syntax_error_still_gives_the_other_statements():
    broken = SOURCE.replace("def top():", "def top(:")
    found = statements(broken)
    templates = {s.template for s in found}
    assert "inner <*> and <*>" in templates and "module" in templates and "in lambda" not in templates
    assert all(s.partial for s in found)
    assert found[0].line == 11


def test_module_names():
    assert module_name("a/b/c.py") == "a.b.c"
    assert module_name("a/b/__init__.py") == "a.b"


def test_a_class_with_one_broken_method_keeps_its_other_methods():
    source = '''\
import logging


class Old(object):
    def __init__(self):
        self.log = logging.getLogger("old")

    def broken(self):
        print "python 2"
        self.log.info("lost with its method")

    def fine(self, n):
        self.log.info("kept %s" % n)
'''
    found = statements(source, "old.py")
    assert [(s.cls, s.method, s.template, s.line) for s in found] == [("Old", "fine", "kept <*>", 13)]
    assert found[0].partial


def test_nesting_too_deep_for_the_parser_costs_only_that_statement():
    # CPython gives up on these with RecursionError / MemoryError rather than SyntaxError
    for deep in ("1+" * 5000 + "1", "-" * 200_000 + "1"):
        source = f"import logging\ndef f():\n    logging.info('before')\nx = {deep}\nlogging.info('after')\n"
        parsed = parse_python(source.encode(), "m")
        assert parsed.partial
        assert [s.template for s in find_logging_calls(parsed, "m.py")] == ["before", "after"]


def test_a_statement_too_deep_to_walk_is_left_out_and_the_rest_kept():
    parsed = parse_python(b"import logging\nlogging.info('before')\nx = 1\nlogging.info('after')\n", "m")
    deep: ast.expr = ast.Constant(1)
    for _ in range(20_000):  # deeper than any recursion limit (the parser stops near 3000 levels today)
        deep = ast.BinOp(deep, ast.Add(), ast.Constant(1))
    parsed.trees[0].body[2].value = deep
    assert [s.template for s in find_logging_calls(parsed, "m.py")] == ["before", "after"]
