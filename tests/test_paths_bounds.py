"""Path enumeration stays bounded on pathological code and says how much it cut; sampling is deterministic."""

import json
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from synthlog.code.callgraph import build_call_graph
from synthlog.code.paths import PathOptions, enumerate_paths, write_paths

HEADER = "import org.apache.commons.logging.Log;\n"


def write(tmp_path, body: str):
    (tmp_path / "P.java").write_text(HEADER + "class P { static Log LOG;\n" + body + "\n}\n", encoding="utf-8")
    return build_call_graph(tmp_path)


def test_three_hundred_ifs_are_cut_and_reported(tmp_path):
    ifs = "\n".join(f'    if (x == {i}) {{ LOG.info("branch {i}"); }}' for i in range(300))
    graph = write(tmp_path, f"  void many(int x) {{\n{ifs}\n  }}")
    started = time.process_time()
    options = PathOptions(max_paths=50, work_budget=60_000, sample_walks=200)
    result = enumerate_paths(graph, ["P.many"], options)
    assert time.process_time() - started < 20
    (entry,) = result.entries
    assert not entry.exhaustive and entry.cut
    assert entry.paths == len(result.paths) == 50
    assert entry.structural_paths > 2.0 ** 299  # 2^300 paths exist, none of them enumerated one by one
    assert len({tuple(p.statements) for p in result.paths}) == 50
    lengths = {len(p.statements) for p in result.paths}
    assert max(lengths) - min(lengths) > 10 and min(lengths) > 50  # sampled across the whole method, not a prefix
    again = enumerate_paths(graph, ["P.many"], options)
    assert [p.to_dict() for p in again.paths] == [p.to_dict() for p in result.paths]
    other = enumerate_paths(graph, ["P.many"], PathOptions(max_paths=50, work_budget=60_000, sample_walks=200,
                                                           seed=1))
    assert [p.statements for p in other.paths] != [p.statements for p in result.paths]
    out = tmp_path / "out" / "paths.jsonl"
    side = write_paths(result, out)
    assert len(out.read_text().splitlines()) == 50
    summary = json.loads(side.read_text())
    assert summary["entries"][0]["cut"] is True and summary["entries"][0]["exhaustive"] is False


def test_deep_nesting_is_bounded(tmp_path):
    depth = 120
    body = "".join(f"if (x > {i}) {{ LOG.debug(\"level {i}\"); while (y) {{ " for i in range(depth))
    body += "LOG.info(\"bottom\");" + "} }" * depth
    graph = write(tmp_path, f"  void deep(int x, boolean y) {{ {body} }}")
    started = time.process_time()
    result = enumerate_paths(graph, ["P.deep"], PathOptions(max_paths=20, work_budget=20_000, sample_walks=100))
    assert time.process_time() - started < 20
    (entry,) = result.entries
    assert entry.cut and 1 <= entry.paths <= 20 and entry.unroll_cuts > 0 and entry.structural_paths > depth


def test_exhaustive_search_cut_only_by_max_paths(tmp_path):
    ifs = "\n".join(f'    if (x == {i}) {{ LOG.info("b{i}"); }}' for i in range(8))
    graph = write(tmp_path, f"  void few(int x) {{\n{ifs}\n  }}")
    result = enumerate_paths(graph, ["P.few"], PathOptions(max_paths=100))
    (entry,) = result.entries
    assert entry.exhaustive and entry.distinct == 256 and entry.paths == 100 and entry.cut_by_max_paths == 156
    assert entry.structural_paths == 256


_STATEMENTS = st.recursive(
    st.sampled_from(['LOG.info("a");', 'LOG.warn("b" + x);', "x++;", "break;", "continue;", "return;",
                     'throw new RuntimeException("t");', "f(x);", "flag = true;", "o = null;"]),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"if (x > 1) {{ {a} }} else {{ {b} }}", inner, inner),
        st.builds(lambda a: f"while (x < 9) {{ {a} }}", inner),
        st.builds(lambda a: f"for (int i : xs) {{ {a} }}", inner),
        st.builds(lambda a: f"do {{ {a} }} while (flag);", inner),
        st.builds(lambda a, b: f"switch (x) {{ case 1: {a} case 2 -> {{ {b} }} default: break; }}", inner, inner),
        st.builds(lambda a, b, c: f"try {{ {a} }} catch (Exception e) {{ {b} }} finally {{ {c} }}",
                  inner, inner, inner),
        st.builds(lambda a: f"lbl: for (;;) {{ {a} break lbl; }}", inner),
        st.builds(lambda a: f"Runnable r = () -> {{ {a} }};", inner),
        st.builds(lambda a, b: f"{a} {b}", inner, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_STATEMENTS, cut=st.tuples(st.integers(0, 400), st.integers(0, 40)), tmp=st.just(None))
@example(body='try { x++; } catch (Exception e) { LOG.info("a"); } finally { x++; }', cut=(0, 0), tmp=None)
def test_random_and_mutated_java_never_crashes(tmp_path_factory, body, cut, tmp):
    source = (f"void f(int x, int[] xs, boolean flag, Object o) {{ {body} }}\n"
              "void g(int x) { LOG.info(\"g\"); f(x, null, true, null); }")
    start, length = cut
    mutated = source[:start] + source[start + length:]  # drop a random slice: syntax errors included
    for text in (source, mutated):
        directory = tmp_path_factory.mktemp("fuzz")
        graph = write(directory, text)
        started = time.process_time()
        graph.build_all()
        entries = sorted(graph.may_log)
        if entries:
            result = enumerate_paths(graph, entries, PathOptions(max_paths=20, work_budget=3_000, sample_walks=50))
            assert all(e.paths <= 20 for e in result.entries)
        assert time.process_time() - started < 10
