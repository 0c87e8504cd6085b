"""Per-method site collection (code.sites): source order whatever order the query bindings return, and nesting."""

from __future__ import annotations

from synthlog.code.java import JavaFile, parse_java
from synthlog.code.sites import collect_sites

SOURCE = b"""class G {
  void gen(String language) {
    int n = 0;
    if ("c".equals(language)) {
      CGen gen = new CGen();
      gen.write();
    } else if ("java".equals(language)) {
      JavaGen gen = new JavaGen();
      gen.write();
    } else {
      for (String s : list) { n++; }
      try (Reader r = open()) { r.read(); } catch (IOException e) { throw e; }
      CsGen gen = new CsGen();
      gen.write();
      Runnable task = () -> { Inner x = null; x.run(); };
    }
    return;
  }
}
"""


def _sites():
    java = JavaFile(SOURCE, parse_java(SOURCE), "G.java")
    methods = [m for m in java.methods if m.node is not None]
    bodies = [(m.node.start_byte, m.node.end_byte) for m in methods]
    return {m.name: s for m, s in zip(methods, collect_sites(java.tree.root_node, bodies), strict=True)}


def test_every_group_is_in_source_order():
    sites = _sites()["gen"]
    for group in (sites.calls, sites.jumps, sites.assigns, sites.declarations):
        spans = [(n.start_byte, n.end_byte) for n in group]
        assert spans == sorted(spans)
    assert [n.start_point.row + 1 for n in sites.declarations] == [3, 5, 8, 11, 12, 12, 13, 15]


def test_local_types_take_the_last_declaration_in_source_order():
    types = _sites()["gen"].local_types
    assert types["gen"] == "CsGen"
    assert types["s"] == "String" and types["r"] == "Reader" and types["e"] == "IOException"
    assert "x" not in types  # declared in the lambda, a method of its own


def test_a_lambda_keeps_its_own_sites():
    sites = _sites()
    lambda_sites = next(s for name, s in sites.items() if name.startswith("lambda$"))
    assert [n.text for n in lambda_sites.calls] == [b"x.run()"]
    assert [n.text for n in lambda_sites.assigns] == [b"x = null"]
    assert all(n.text != b"x.run()" for n in sites["gen"].calls)
