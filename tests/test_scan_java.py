"""Java front end: javac-style names, logger recognition, templates, context flags, byte spans."""

from synthlog.code.java import CodeIndex, JavaFile, find_logging_calls, iter_methods, parse_java, simple_type

NAMING = b"""
package p;
public class Outer {
  static final org.slf4j.Logger LOG = null;
  static { LOG.info("static init"); }
  { LOG.debug("instance init"); }
  Outer(int a) { LOG.info("ctor"); }
  void f(String src) {
    Runnable r = () -> LOG.info("first lambda");
    new Thread() { public void run() { LOG.info("anon"); Runnable q = () -> LOG.info("lambda in anon"); } };
    new Object() { void g() { LOG.info("second anon"); } };
    class Local { void m() { LOG.info("local"); } }
    Runnable s = () -> { LOG.info("second lambda"); };
  }
  class Inner { void g() { LOG.info("inner"); new Runnable() { public void run() { LOG.info("anon in inner"); } }; } }
  enum Kind { A { void h() { LOG.info("enum constant body"); } } }
}
"""


def statements_of(source: bytes, file: str = "A.java"):
    return find_logging_calls(parse_java(source), source, file)


def by_template(source: bytes):
    return {s.template: s for s in statements_of(source)}


def test_classes_and_methods_are_named_as_javac_names_them():
    found = {s.template: (s.cls, s.method) for s in statements_of(NAMING)}
    assert found == {
        "static init": ("Outer", "<clinit>"),
        "instance init": ("Outer", "<init>"),
        "ctor": ("Outer", "<init>"),
        "first lambda": ("Outer", "lambda$f$0"),
        "anon": ("Outer$1", "run"),
        "lambda in anon": ("Outer$1", "lambda$run$0"),
        "second anon": ("Outer$2", "g"),
        "local": ("Outer$1Local", "m"),
        "second lambda": ("Outer", "lambda$f$1"),
        "inner": ("Outer$Inner", "g"),
        "anon in inner": ("Outer$Inner$1", "run"),
        "enum constant body": ("Outer$Kind$1", "h"),
    }


def test_iter_methods_lists_every_body_in_source_order_with_params():
    tree = parse_java(NAMING)
    methods = list(iter_methods(tree, NAMING))
    names = [m.qualified for m in methods]
    assert names[:4] == ["Outer.<clinit>", "Outer.<init>", "Outer.<init>", "Outer.f"]
    assert "Outer$1.lambda$run$0" in names and "Outer$Kind$1.h" in names
    assert [m.start_byte for m in methods] == sorted(m.start_byte for m in methods)
    f = next(m for m in methods if m.name == "f")
    assert f.params == [("src", "String")] and f.node.type == "block" and f.line == 8
    ctor = next(m for m in methods if m.kind == "constructor")
    assert ctor.params == [("a", "int")]


def test_statement_spans_are_exactly_the_invocation_node():
    tree = parse_java(NAMING)
    spans = {(n.start_byte, n.end_byte) for n in _invocations(tree.root_node)}
    for s in find_logging_calls(tree, NAMING, "A.java"):
        assert (s.start_byte, s.end_byte) in spans
        assert NAMING[s.start_byte:s.end_byte].startswith(b"LOG.")
        assert NAMING[s.start_byte:s.end_byte].endswith(b")")


def _invocations(node):
    if node.type == "method_invocation":
        yield node
    for child in node.children:
        yield from _invocations(child)


MESSAGES = b"""
class M {
  private static final Log LOG = LogFactory.getLog(M.class);
  static final String PREFIX = "BLOCK* " + "NameSystem";
  static final int LIMIT = 0x10;
  void f(Block b, String src, String dst, Exception e, java.util.logging.Logger jul) {
    LOG.info("Receiving block " + b + " src: " + src + " dest: " + dst);
    LOG.info(PREFIX + ".allocateBlock: " + src + ". " + b);
    LOG.info("limit " + LIMIT + " and " + (1 + 2) + " count " + 1 + 2);
    LOG.info("x {} y {}", src, dst);
    LOG.warn("x {} failed", src, e);
    LOG.error(String.format("%s = %5d%%%n", src, 3));
    LOG.info(java.text.MessageFormat.format("mf {0} ''quoted'' {1,number}", src, 4));
    LOG.debug("tab\\there \\"q\\" \\u0041");
    LOG.info("plain with throwable", e);
    jul.log(Level.WARNING, "jul {0} and {1}", new Object[]{src, dst});
    jul.log(Level.SEVERE, "jul thrown", e);
    jul.warning("jul warn");
    jul.fine("jul fine");
    LOG.info(src);
    LOG.info("constant {} and {}", LIMIT, src);
  }
}
"""


def test_templates_keep_literal_text_and_mark_every_variable_part():
    found = by_template(MESSAGES)
    assert found["Receiving block <*> src: <*> dest: <*>"].args == ["b", "src", "dst"]
    assert found["BLOCK* NameSystem.allocateBlock: <*>. <*>"].args == ["src", "b"]
    assert "limit 16 and <*> count 12" in found
    assert found["x <*> y <*>"].args == ["src", "dst"] and found["x <*> y <*>"].exception is None
    assert found["x <*> failed"].exception == "e" and found["x <*> failed"].level == "WARN"
    assert found["<*> = <*>%\n"].args == ["src", "3"]
    assert found["mf <*> 'quoted' <*>"].args == ["src", "4"]
    assert 'tab\there "q" A' in found
    assert found["plain with throwable"].exception == "e"
    assert found["jul <*> and <*>"].level == "WARN" and found["jul <*> and <*>"].args == ["src", "dst"]
    assert found["jul thrown"].level == "ERROR" and found["jul thrown"].exception == "e"
    assert found["jul warn"].level == "WARN" and found["jul fine"].level == "DEBUG"
    assert found["<*>"].args == ["src"]
    assert found["constant 16 and <*>"].args == ["src"]


def test_loggers_are_recognised_by_declared_type_not_only_by_name():
    source = b"""
    class R {
      private static final Logger audit = LoggerFactory.getLogger("audit");
      private final StringBuilder log = new StringBuilder();
      void f(Printer printer, Log myLog) {
        audit.info("by field type");
        myLog.warn("by parameter type");
        Log local = LogFactory.getLog("x");
        local.error("by local type");
        log.append("not a logger");
        printer.info("printer is not a logger");
        LogFactory.getLog(R.class).info("factory result");
        info("unqualified call");
      }
    }
    """
    assert set(by_template(source)) == {"by field type", "by parameter type", "by local type", "factory result"}


def test_context_flags_guard_catch_and_partial():
    source = b"""
    class G {
      void f() {
        if (LOG.isDebugEnabled()) { LOG.debug("guarded"); }
        try { g(); } catch (IOException e) { LOG.warn("in catch", e); } finally { LOG.info("in finally"); }
        LOG.info("plain");
      }
    }
    """
    found = by_template(source)
    assert found["guarded"].guarded and not found["guarded"].in_catch
    assert found["in catch"].in_catch and not found["in catch"].guarded
    assert not found["in finally"].in_catch and not found["plain"].partial
    broken = source.replace(b"LOG.info(\"plain\");", b"LOG.info(\"plain\"); int = ;")
    recovered = by_template(broken)
    assert "guarded" in recovered and all(s.partial for s in recovered.values())


def test_loggers_and_constants_of_other_classes_resolve_through_the_index():
    namenode = b"""
    public class NameNode {
      public static final Log stateChangeLog = LogFactory.getLog("StateChange");
      public static final String PREFIX = "BLOCK*";
      public static final Object notALogger = null;
    }
    """
    base = b"class Base { protected static final Log audit = LogFactory.getLog(Base.class); }"
    user = b"""
    class User extends Base {
      void f(String b) {
        NameNode.stateChangeLog.info(NameNode.PREFIX + " ask " + b);
        audit.info("inherited logger");
        NameNode.notALogger.info("not a logger");
      }
    }
    """
    index = CodeIndex()
    files = {name: JavaFile(src, parse_java(src), name) for name, src in
             [("NameNode.java", namenode), ("Base.java", base), ("User.java", user)]}
    for java in files.values():
        index.add(java)
    java = files["User.java"]
    found = {s.template for s in find_logging_calls(java.tree, java.source, "User.java", java)}
    assert found == {"BLOCK* ask <*>", "inherited logger"}
    alone = {s.template for s in find_logging_calls(parse_java(user), user, "User.java")}
    assert "NameNode.PREFIX" not in alone and "<*> ask <*>" in alone


def test_type_environment_answers_declared_types():
    source = b"""
    class T {
      private java.util.Map<String, Long> sizes;
      void f(int count) {
        for (String name : names) { use(name); }
        try (Reader r = open()) { use(r); } catch (IOException | RuntimeException e) { use(e); }
      }
    }
    """
    java = JavaFile(source)
    calls = [n for n in _invocations(java.tree.root_node) if n.child_by_field_name("name").text == b"use"]
    assert java.declared_type(calls[0], "name") == "String"
    assert java.declared_type(calls[0], "count") == "int"
    assert java.declared_type(calls[0], "sizes") == "java.util.Map<String, Long>"
    assert java.declared_type(calls[1], "r") == "Reader"
    assert java.declared_type(calls[2], "e") == "IOException | RuntimeException"
    assert java.declared_type(calls[0], "r") is None


def test_long_and_deeply_nested_messages_are_read():
    terms = b" + ".join(b"x%d" % i for i in range(3000))
    long_concat = b'class A { void f() { LOG.info("a" + ' + terms + b"); } }"
    (s,) = statements_of(long_concat)
    assert len(s.args) == 3000 and s.template.startswith("a<*><*>")
    nested = b'class A { void f() { LOG.info(' + b"(" * 3000 + b'"a" + b' + b")" * 3000 + b"); } }"
    (s,) = statements_of(nested)
    assert s.template.count("<*>") == len(s.args) >= 1


def test_simple_type_drops_package_and_type_arguments_and_keeps_arrays_on_request():
    assert simple_type("java.util.Map<String, java.util.List<X>>") == "Map"
    assert simple_type("Outer.Inner[]") == "Inner"
    assert simple_type("Outer.Inner[]", keep_array=True) == "Inner[]"
    assert simple_type("List<String[]>", keep_array=True) == "List"
    assert simple_type("byte [] []", keep_array=True) == "byte[]"
