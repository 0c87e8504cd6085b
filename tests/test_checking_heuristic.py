"""The heuristic checker: contradictions between branch conditions, resets, plausibility scores."""

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlog.code.records import ExecutionPath, PathStep, Statement
from synthlog.synth.checking import CheckContext, HeuristicChecker, HeuristicConfig, count_reasons, reason_code
from synthlog.synth.checking.conditions import And, Atom, Compare, Facts, Not, Or, parse_condition


def cond(expr, outcome, line=None, method=None):
    return PathStep(kind="cond", expr=expr, outcome=outcome, line=line, method=method)


def assign(target, expr, line=None):
    return PathStep(kind="assign", target=target, expr=expr, line=line)


def log(sid):
    return PathStep(kind="log", statement=sid)


def path_of(*steps, exit="normal"):
    return ExecutionPath(id="p", entry="C.m", steps=list(steps), exit=exit)


CHECK = HeuristicChecker()
CTX = CheckContext()


def verdict(*steps, **kw):
    return CHECK.check(path_of(*steps, **kw), CTX)


@pytest.mark.parametrize(("first", "second", "code"), [
    (("x == null", True), ("x != null", True), "contradiction-null"),
    (("x == null", True), ("x == null", False), "contradiction-null"),
    (("n > 0", True), ("n <= 0", True), "contradiction-interval"),
    (("n > 5", True), ("n < 3", True), "contradiction-interval"),
    (("n >= 2", True), ("2 >= n", True), None),  # n == 2 is possible
    (("n >= 2", True), ("n != 2 && n <= 2", True), "contradiction-interval"),
    (("!flag", True), ("flag", True), "contradiction-boolean"),
    (("flag == false", True), ("flag", True), "contradiction-boolean"),
    (("a.isEmpty()", True), ("a.isEmpty()", False), "contradiction-boolean"),
    (("!(a.isEmpty())", False), ("!a.isEmpty()", True), "contradiction-boolean"),
    (("state == State.RUNNING", True), ("state == State.STOPPED", True), "contradiction-constant"),
    (("mode.equals(\"x\")", True), ("!mode.equals(\"x\")", True), "contradiction-boolean"),
    (("a < b", True), ("a >= b", True), "contradiction-relation"),
    (("a < b", True), ("b < a", True), "contradiction-relation"),
    (("x != null && n > 0", True), ("n == 0", True), "contradiction-interval"),
    (("x == null || n > 0", False), ("x == null", True), "contradiction-null"),
    (("x is None", True), ("x is not None", True), "contradiction-null"),
    (("not ready and count > 3", True), ("ready", True), "contradiction-boolean"),
    (("this.closed", True), ("closed", False), "contradiction-boolean"),
])
def test_contradictions(first, second, code):
    v = verdict(cond(*first, line=1), cond(*second, line=9))
    if code is None:
        assert v.feasible, v.reasons
    else:
        assert not v.feasible and v.score == 0.0
        assert reason_code(v.reasons[0]) == code
        assert "line 1" in v.reasons[0] and "line 9" in v.reasons[0]


@pytest.mark.parametrize(("first", "second"), [
    ("x == null || n > 0", "x == null"),  # a true disjunction does not force either part
    ("x != null && n > 0", "x == null"),  # outcome False: one part may be false
    ("n > 0", "n < 1"),                   # reals: no conflict claimed
    ("a.size() > 0", "b.size() == 0"),
    ("(int) x > 3", "x < 1"),             # casts are opaque, never a false alarm
])
def test_consistent_pairs_pass(first, second):
    assert verdict(cond(first, first != "x != null && n > 0", line=1), cond(second, True, line=2)).feasible


def test_conjunction_false_learns_last_unknown_part():
    v = verdict(cond("x != null", True, 1), cond("x != null && n > 0", False, 2), cond("n > 0", True, 3))
    assert not v.feasible and reason_code(v.reasons[0]) == "contradiction-interval"


def test_assignment_resets_and_teaches():
    assert verdict(cond("x == null", True, 1), assign("x", "lookup()"), cond("x != null", True, 3)).feasible
    flag = verdict(assign("done", "true", 1), cond("!done", True, 2))
    assert not flag.feasible and "done = true" in flag.reasons[0]
    assert not verdict(assign("x", "new Foo(1)", 1), cond("x == null", True, 2)).feasible
    assert not verdict(assign("n", "0", 1), cond("n > 0", True, 2)).feasible
    assert verdict(assign("n", "0", 1), assign("n", "n + 1", 2), cond("n > 0", True, 3)).feasible
    assert verdict(cond("x instanceof A", True), assign("x", "null"), cond("x instanceof A", False)).feasible
    # assigning x forgets what was known about x.size(), but not about y
    v = verdict(cond("x.size() > 2", True), cond("y", True), assign("x", "other"), cond("x.size() == 0", True),
                cond("y", False))
    assert not v.feasible and reason_code(v.reasons[0]) == "contradiction-boolean"


def test_loop_iterations_are_not_contradictions():
    loop = [cond("it.hasNext()", True, 5), log("S1"), cond("it.hasNext()", True, 5), log("S1"),
            cond("it.hasNext()", False, 5)]
    assert verdict(*loop).feasible
    counter = [cond("i < n", True, 7), assign("i", "i + 1"), cond("i < n", False, 7)]
    assert verdict(*counter).feasible
    # facts from before the loop about variables the body assigns are dropped too
    assert verdict(assign("done", "false", 1), cond("!done", True, 2), assign("done", "true", 3),
                   cond("!done", False, 2)).feasible


def test_calls_forget_call_results_and_frames_are_separate():
    assert verdict(cond("q.isEmpty()", True, 1), PathStep(kind="call", method="C.fill"),
                   cond("q.isEmpty()", False, 2)).feasible
    assert not verdict(cond("q.isEmpty()", True, 1), cond("q.isEmpty()", False, 2)).feasible
    inlined = [cond("x == null", True, 1), PathStep(kind="enter", method="D.f"),
               cond("x != null", True, 20, method="D.f"), PathStep(kind="exit", method="D.f")]
    assert verdict(*inlined).feasible  # D.f's x is another variable
    back = [*inlined, cond("x != null", True, 4)]
    assert not verdict(*back).feasible


def test_plausibility_penalties():
    statements = {"S1": Statement("S1", "F.java", 1, 1, "C", "m", "WARN", "w", in_catch=True)}
    context = CheckContext(statements=statements)
    plain = CHECK.check(path_of(log("S1")), context)
    many = CHECK.check(path_of(log("S1"), log("S1"), exit="exception:IOException"), context)
    assert plain.score == 1.0 and many.score < plain.score
    assert reason_code(many.reasons[0]) == "many-exceptions"
    long_path = CHECK.check(path_of(*[log("X")] * 80), context)
    assert long_path.feasible and long_path.score == pytest.approx(0.5)
    body = [cond("more", True, 3), log("X")]
    loop = CHECK.check(path_of(*body * 6, cond("more", False, 3)), context)
    codes = [reason_code(r) for r in loop.reasons]
    assert "long-loop" in codes and "repeated-loop-body" in codes and loop.score < 0.5
    strict = HeuristicChecker(HeuristicConfig(min_score=0.9)).check(path_of(*body * 6, cond("more", False, 3)), context)
    assert not strict.feasible and reason_code(strict.reasons[-1]) == "low-score"


def test_reason_summary_counts_codes():
    verdicts = [verdict(cond("a", True), cond("a", False)), verdict(cond("a", True), cond("!a", True)),
                verdict(cond("n > 1", True), cond("n < 0", True)), verdict(cond("a", True))]
    assert count_reasons(verdicts) == {"contradiction-boolean": 2, "contradiction-interval": 1}


def test_parser_shapes():
    assert parse_condition("x != null && (n > 0 || !f)") == And(
        (Compare("x", "!=", "null"), Or((Compare("n", ">", "0"), Not(Atom("f"))))))
    assert parse_condition("foo(a && b, c)") == Atom("foo(a&&b,c)")
    assert parse_condition("key not in table") == Not(Atom("key in table"))
    assert parse_condition("((x))") == Atom("x")
    assert parse_condition("x  instanceof  Foo") == Atom("x instanceof Foo")
    assert parse_condition("a . size ( ) > 0") == Compare("a.size()", ">", "0")


OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
       "!=": operator.ne}


@given(st.sampled_from(sorted(OPS)), st.integers(-3, 3), st.sampled_from(sorted(OPS)), st.integers(-3, 3),
       st.booleans(), st.booleans())
def test_interval_reasoning_matches_brute_force(op1, c1, op2, c2, t1, t2):
    candidates = {c1, c2, c1 - 0.5, c1 + 0.5, c2 - 0.5, c2 + 0.5, (c1 + c2) / 2, -100, 100}
    satisfiable = any(OPS[op1](x, c1) == t1 and OPS[op2](x, c2) == t2 for x in candidates)
    facts = Facts()
    assert facts.assume(parse_condition(f"v {op1} {c1}"), t1, "a") is None
    mirrored = {"<": ">", ">": "<"}.get(op2[0], op2[0]) + op2[1:]
    conflict = facts.assume(parse_condition(f"{c2} {mirrored} v"), t2, "b")
    assert (conflict is None) == satisfiable


JAVA = """class Svc {
  private volatile boolean running = true;
  boolean open;
  Object cache;
  java.util.List<String> queue;
  void work(Object other) {
    if (cache == null) {
      cache = create();
    }
    if (cache != null) {
      LOG.info("x");
    }
    if (queue.isEmpty()) {
      queue.add("a");
    }
    if (!queue.isEmpty()) {}
    while (running) {
      if (!running) break;
    }
    if (other == null) { LOG.info("none"); }
    if (other != null) { LOG.info("some"); }
    while (open) { if (!open) break; }
  }
  void a() { open = true; }
  void b() { open = false; }
  boolean ready;
  void start(boolean local) {
    if (!ready || !local) {
      init();
      if (!ready || !local) return;
    }
  }
}
"""

PY = """class Worker:
    def run(self, item):
        if item is None:
            item = self.fetch()
        if item is not None:
            log.info("got %s", item)
"""


@pytest.fixture(scope="module")
def mutations(tmp_path_factory):
    from synthlog.synth.checking.mutations import MutationIndex

    root = tmp_path_factory.mktemp("src")
    (root / "Svc.java").write_text(JAVA)
    (root / "worker.py").write_text(PY)
    return MutationIndex.scan(root)


@pytest.mark.parametrize(("first", "second", "feasible_with_index"), [
    (("cache == null", True, 7), ("cache != null", True, 10), True),      # cache = create() in between
    (("queue.isEmpty()", True, 13), ("!queue.isEmpty()", True, 16), True),  # queue.add(...) in between
    (("running", True, 17), ("!running", True, 18), True),                # volatile field
    (("open", True, 22), ("!open", True, 22), True),                      # field set by two other methods
    (("other == null", True, 20), ("other != null", True, 21), False),    # nothing changes `other`
])
def test_mutation_index_guards_facts(mutations, first, second, feasible_with_index):
    steps = [cond(*first, method="Svc.work"), cond(*second, method="Svc.work")]
    guarded = CheckContext(mutations=mutations)
    assert CHECK.check(path_of(*steps), guarded).feasible == feasible_with_index
    assert not CHECK.check(path_of(*steps), CTX).feasible  # without the index, every pair above contradicts


def test_calls_may_change_fields_but_not_locals(mutations):
    def steps(expr_a, expr_b):
        return [cond(expr_a, True, 29, method="Svc.start"), PathStep(kind="call", method="Svc.init", line=30),
                cond(expr_b, False, 31, method="Svc.start")]
    guarded = CheckContext(mutations=mutations)
    assert CHECK.check(path_of(*steps("!ready", "!ready")), guarded).feasible
    assert not CHECK.check(path_of(*steps("!ready", "!ready")), CTX).feasible
    assert not CHECK.check(path_of(*steps("!local", "!local")), guarded).feasible


def test_mutation_index_reads_python(mutations):
    steps = [cond("item is None", True, 3, method="Worker.run"), cond("item is not None", True, 5, method="Worker.run")]
    assert CHECK.check(path_of(*steps), CheckContext(mutations=mutations)).feasible
    assert mutations.for_method("Worker.run") is mutations.for_method("worker.run")
    assert mutations.for_method("Svc$Inner.f") is mutations.files["Svc.java"]


# ---- soundness: a path whose outcomes come from one real execution is never rejected ----------------------

def _atoms(draw):
    kind = draw(st.sampled_from(["cmp", "flag", "null", "rel", "call"]))
    if kind == "cmp":
        var, op, c = draw(st.sampled_from("ab")), draw(st.sampled_from(sorted(OPS))), draw(st.integers(-1, 1))
        return f"{var} {op} {c}", lambda m: OPS[op](m[var], c)
    if kind == "flag":
        var, negate = draw(st.sampled_from("fg")), draw(st.booleans())
        return ("!" if negate else "") + var, lambda m: m[var] != negate
    if kind == "null":
        var, op = draw(st.sampled_from("xy")), draw(st.sampled_from(["==", "!="]))
        return f"{var} {op} null", lambda m: (m[var] is None) == (op == "==")
    if kind == "call":
        return "q.isEmpty()", lambda m: m["q"] == 0
    left, right, op = draw(st.sampled_from("ab")), "c", draw(st.sampled_from(sorted(OPS)))
    return f"{left} {op} {right}", lambda m: OPS[op](m[left], m[right])


@st.composite
def formulas(draw, depth=2):
    if depth == 0 or draw(st.booleans()):
        return _atoms(draw)
    shape = draw(st.sampled_from(["and", "or", "not"]))
    (text_a, eval_a) = draw(formulas(depth - 1))
    if shape == "not":
        return f"!({text_a})", lambda m: not eval_a(m)
    (text_b, eval_b) = draw(formulas(depth - 1))
    if shape == "and":
        return f"({text_a}) && ({text_b})", lambda m: eval_a(m) and eval_b(m)
    return f"({text_a}) || ({text_b})", lambda m: eval_a(m) or eval_b(m)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_real_execution_is_never_rejected(data):
    model = {v: data.draw(st.integers(-1, 1)) for v in "abcq"}
    model |= {v: data.draw(st.booleans()) for v in "fg"} | {v: data.draw(st.sampled_from([None, "obj"])) for v in "xy"}
    steps = []
    for line in range(1, data.draw(st.integers(1, 12)) + 1):
        if data.draw(st.integers(0, 4)) == 0:  # a literal assignment, as paths record them
            var = data.draw(st.sampled_from("afx"))
            value = {"a": data.draw(st.integers(-1, 1)), "f": data.draw(st.booleans()), "x": None}[var]
            model[var] = value
            literal = "null" if value is None else str(value).lower()
            steps.append(PathStep(kind="assign", target=var, expr=literal, line=line))
        else:
            text, evaluate = data.draw(formulas())
            steps.append(cond(text, bool(evaluate(model)), line=line))
    verdict = CHECK.check(path_of(*steps), CTX)
    assert verdict.feasible, (verdict.reasons, [s.to_dict() for s in steps], model)


def test_mutation_index_from_a_scan_equals_a_fresh_scan():
    from pathlib import Path

    from synthlog.code.scan import scan
    from synthlog.synth.checking.mutations import MutationIndex

    root = Path(__file__).resolve().parents[1] / "examples"
    fresh, reused = MutationIndex.scan(root), MutationIndex.from_scan(scan(root))
    assert fresh.file_of == reused.file_of and fresh.files.keys() == reused.files.keys()
    assert all(vars(fresh.files[k]) == vars(reused.files[k]) for k in fresh.files)
    assert any(f.assigned for f in reused.files.values())
