"""LCFG construction on small Java and Python snippets: each control-flow construct, seen through the paths."""

import ast
import textwrap

import pytest

from synthlog.code.callgraph import build_call_graph
from synthlog.code.lcfg import build_python_lcfg
from synthlog.code.paths import PathOptions, enumerate_paths
from synthlog.code.python import parse_python

HEADER = "import org.apache.commons.logging.Log;\nimport java.io.IOException;\n"


def graph_of(tmp_path, java: str, name: str = "A.java"):
    (tmp_path / name).write_text(HEADER + textwrap.dedent(java), encoding="utf-8")
    return build_call_graph(tmp_path)


def sequences(graph, entry, **options):
    """{(exit, (template, ...))} of every path from ``entry``."""
    templates = {s.id: s.template for s in graph.scan.statements}
    result = enumerate_paths(graph, [entry], PathOptions(**options))
    return {(p.exit, tuple(templates[s] for s in p.statements)) for p in result.paths}


def normal(*seqs):
    return {("normal", tuple(s)) for s in seqs}


def test_break_out_of_loop_reaches_the_log_after_it(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void f(int[] xs) {
            for (int x : xs) { if (x < 0) { LOG.warn("neg"); break; } LOG.info("item"); }
            LOG.info("done");
          } }""")
    found = sequences(graph, "A.f", unroll=2)
    assert normal(["neg", "done"], ["item", "neg", "done"], ["done"], ["item", "done"],
                  ["item", "item", "done"]) <= found
    assert ("normal", ("item", "item", "item", "done")) not in found  # unrolled at most twice


def test_labelled_break_and_continue(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void g(int[][] m) {
            outer:
            for (int[] row : m) {
              for (int v : row) {
                if (v == 0) { LOG.info("skip"); continue outer; }
                if (v < 0) { LOG.info("stop"); break outer; }
                LOG.info("v");
              }
              LOG.info("row");
            }
            LOG.info("end");
          } }""")
    found = sequences(graph, "A.g", unroll=2)
    assert normal(["stop", "end"], ["v", "stop", "end"], ["skip", "end"], ["row", "end"]) <= found
    for _, seq in found:  # break outer leaves both loops: nothing but "end" follows "stop"
        assert "stop" not in seq or seq[seq.index("stop") + 1:] == ("end",)


def test_switch_arrow_classic_and_expression(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void arrow(int k) {
            switch (k) { case 1 -> LOG.info("one"); case 2 -> { LOG.info("two"); } default -> LOG.info("other"); }
            LOG.info("after");
          }
          void classic(int k) {
            switch (k) { case 1: LOG.info("a"); case 2: LOG.info("b"); break; default: LOG.info("c"); }
          }
          int expression(int k) {
            int r = switch (k) { case 1: LOG.info("y1"); yield 1; default: yield 0; };
            LOG.info("r");
            return r;
          } }""")
    assert sequences(graph, "A.arrow") == normal(["one", "after"], ["two", "after"], ["other", "after"])
    assert sequences(graph, "A.classic") == normal(["a", "b"], ["b"], ["c"])  # fall-through from case 1
    assert sequences(graph, "A.expression") == normal(["y1", "r"], ["r"])
    result = enumerate_paths(graph, ["A.arrow"], PathOptions())
    conds = {(s.expr, s.outcome) for p in result.paths for s in p.steps if s.kind == "cond"}
    assert {("k == 1", True), ("k == 2", True), ("k == 1", False), ("k == 2", False)} <= conds


def test_try_catch_finally_order_and_throw_into_catch(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void h() {
            try { LOG.info("try"); risky(); LOG.info("after risky"); }
            catch (IOException e) { LOG.error("caught"); }
            finally { LOG.info("finally"); }
            LOG.info("end");
          }
          void t(boolean bad) {
            try { if (bad) throw new IllegalStateException("x"); LOG.info("ok"); }
            catch (IllegalStateException e) { LOG.warn("bad"); }
          }
          void risky() throws IOException { }
        }""")
    assert sequences(graph, "A.h") == normal(["try", "after risky", "finally", "end"],
                                              ["try", "caught", "finally", "end"])
    assert sequences(graph, "A.t") == normal(["ok"], ["bad"])


def test_exceptional_exits_are_marked_and_finally_runs_on_them(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void u(boolean y) throws IOException {
            try {
              if (y) { LOG.error("fail"); throw new IOException("y"); }
              LOG.info("fine");
            } finally { LOG.info("cleanup"); }
          }
          void c() throws IOException { LOG.info("c"); throw new java.io.EOFException(); }
          void caller() {
            try { c(); LOG.info("never"); } catch (IOException e) { LOG.warn("caught c"); }
          } }""")
    assert sequences(graph, "A.u") == {("normal", ("fine", "cleanup")),
                                       ("exception:IOException", ("fail", "cleanup"))}
    assert sequences(graph, "A.c") == {("exception:EOFException", ("c",))}
    found = sequences(graph, "A.caller")
    assert normal(["c", "caught c"]) <= found  # the callee's exception reaches the caller's catch
    assert not any("never" in seq for _, seq in found)  # c always throws


def test_return_inside_loop_and_do_while_and_while_true(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void d(java.util.Queue<String> q) {
            do { LOG.info("poll"); } while (q.poll() != null);
            while (true) {
              String s = q.poll();
              if (s == null) { return; }
              LOG.info("got");
            }
          } }""")
    found = sequences(graph, "A.d", unroll=1)
    assert found == normal(["poll"], ["poll", "got"], ["poll", "poll"], ["poll", "poll", "got"])


def test_lambda_and_anonymous_class_are_methods_of_their_own(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void f() {
            Runnable r = () -> LOG.info("lambda");
            Runnable a = new Runnable() { public void run() { LOG.info("anon"); } };
            LOG.info("outer");
          } }""")
    assert sequences(graph, "A.f") == normal(["outer"])
    assert sequences(graph, "A$1.run") == normal(["anon"])
    (lam,) = [m for m in graph.methods.values() if m.info.kind == "lambda"]
    assert sequences(graph, lam.id) == normal(["lambda"])


def test_inner_class_entry_points(tmp_path):
    graph = graph_of(tmp_path, """
        class Outer { static Log LOG;
          class Inner extends Thread { public void run() { LOG.info("inner run"); helper(); } }
          void helper() { LOG.debug("helper"); }
        }""", "Outer.java")
    assert sequences(graph, "Outer$Inner.run") == normal(["inner run", "helper"])
    assert sequences(graph, "Inner.run") == normal(["inner run", "helper"])
    from synthlog.code.paths import auto_entries
    assert any(graph.methods[m].display == "Outer$Inner.run" for m in auto_entries(graph))


def test_calls_inline_and_bounds_are_reported(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG;
          void a() { LOG.info("a"); b(); }
          void b() { LOG.info("b"); c(); }
          void c() { LOG.info("c"); d(); }
          void d() { LOG.info("d"); }
          void rec(int n) { LOG.info("rec"); if (n > 0) rec(n - 1); }
        }""")
    assert sequences(graph, "A.a", depth=3) == normal(["a", "b", "c", "d"])
    assert sequences(graph, "A.a", depth=1) == normal(["a", "b"])
    result = enumerate_paths(graph, ["A.a"], PathOptions(depth=1))
    assert result.entries[0].depth_cuts == 1
    kinds = [s.kind for s in result.paths[0].steps]
    assert kinds == ["log", "enter", "log", "call", "exit"]
    assert sequences(graph, "A.rec") == normal(["rec"])  # a recursive call is not inlined again


def test_assignments_and_conditions_recorded_for_the_checker(tmp_path):
    graph = graph_of(tmp_path, """
        class A { static Log LOG; Object conn;
          void f(boolean retry) {
            boolean ok = false;
            if (retry) { ok = true; }
            if (!ok) { LOG.error("giving up"); conn = null; }
          } }""")
    result = enumerate_paths(graph, ["A.f"], PathOptions())
    steps = [(s.kind, s.target, s.expr, s.outcome) for p in result.paths for s in p.steps]
    assert ("assign", "ok", "false", None) in steps and ("assign", "conn", "null", None) in steps
    assert ("cond", None, "!ok", True) in steps


def test_python_functions(tmp_path):
    (tmp_path / "svc.py").write_text(textwrap.dedent("""
        import logging
        log = logging.getLogger(__name__)

        def handle(items):
            for item in items:
                if item is None:
                    log.warning("skip")
                    continue
                try:
                    store(item)
                except ValueError:
                    log.error("bad item")
                    raise
            log.info("done")

        def store(item):
            with open("x") as fh:
                log.debug("stored")
    """), encoding="utf-8")
    graph = build_call_graph(tmp_path)
    found = sequences(graph, "svc.handle", unroll=1)
    assert normal(["done"], ["skip", "done"], ["stored", "done"]) <= found
    assert ("exception:ValueError", ("bad item",)) in found
    assert ("exception:ValueError", ("stored", "bad item")) in found


def test_unknown_entry_is_an_input_error(tmp_path):
    graph = graph_of(tmp_path, "class A { void f() {} }")
    from synthlog.errors import InputError
    with pytest.raises(InputError, match="no method"):
        enumerate_paths(graph, ["A.nothing"])


def test_python_nesting_as_deep_as_the_parser_allows(tmp_path):
    deep = "1+" * 2500 + "1"  # Python's parser itself refuses about 3000 levels
    (tmp_path / "svc.py").write_text(
        f"import logging\nlog = logging.getLogger(__name__)\n\ndef handle(x):\n    log.info('start')\n"
        f"    y = {deep}\n    if x:\n        log.info('end')\n", encoding="utf-8")
    graph = build_call_graph(tmp_path)
    assert sequences(graph, "svc.handle") == normal(["start"], ["start", "end"])


def test_python_function_too_deep_to_walk_gets_a_linear_graph():
    source = b"def f():\n    log.info('a')\n    if x:\n        g()\n"
    parsed = parse_python(source, "m")
    function = parsed.trees[0].body[0]
    log_call, g_call = function.body[0].value, function.body[1].body[0].value
    deep: ast.expr = ast.Constant(1)
    for _ in range(20_000):  # deeper than any recursion limit
        deep = ast.BinOp(deep, ast.Add(), ast.Constant(1))
    function.body.insert(1, ast.Expr(deep))

    def span(node):
        return (parsed.byte(node.lineno, node.col_offset), parsed.byte(node.end_lineno, node.end_col_offset))
    graph = build_python_lcfg("m.f", function, parsed, {span(log_call): "S1"}, {span(g_call): ("m.g",)})
    assert graph.approximate
    assert [(n.kind, n.line) for n in graph.nodes] == [("entry", 0), ("log", 2), ("call", 4), ("exit", 0)]
