"""Random and mutated sources never crash the front ends, and scanning them stays fast."""

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.code.java import JavaFile, find_logging_calls, parse_java
from synthlog.code.python import find_logging_calls as find_python_calls
from synthlog.code.python import parse_python

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
JAVA_SEED = (EXAMPLES / "blockstore" / "src" / "org" / "example" / "blockstore" / "DataNode.java").read_bytes()
PY_SEED = (EXAMPLES / "pyservice" / "pyservice" / "server.py").read_bytes()
FRAGMENTS = [b"{", b"}", b"(", b")", b";", b'"', b"+", b"LOG.info(", b"new Object() {", b"() ->", b"class X",
             b"catch (E e)", b"\\", b"/*", b"'", b"\n", b"\x00", b"\xff", b"{}", b"%s", b"f'", b"try:", b"    ",
             b"\\uD83D", b"\\udc00"]
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(seed: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    data = bytearray(seed)
    for position, length, fragment in edits:
        at = position % (len(data) + 1)
        data[at:at + length % 8] = FRAGMENTS[fragment % len(FRAGMENTS)]
    return bytes(data)


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 20), st.integers(0, 100)), max_size=12)


def check_java(source: bytes) -> None:
    started = time.process_time()
    tree = parse_java(source)
    java = JavaFile(source, tree, "X.java")
    list(java.iter_methods())
    for s in find_logging_calls(tree, source, "X.java", java):
        assert 0 <= s.start_byte < s.end_byte <= len(source)
        assert s.template.count("<*>") == len(s.args)
        s.template.encode("utf-8")  # every writer needs it
    assert time.process_time() - started < 2.0


def check_python(source: bytes) -> None:
    started = time.process_time()
    for s in find_python_calls(parse_python(source, "m"), "m.py"):
        assert 0 <= s.start_byte <= s.end_byte <= len(source)
        assert s.template.count("<*>") == len(s.args)
        s.template.encode("utf-8")  # every writer needs it
    assert time.process_time() - started < 2.0


@QUICK
@given(EDITS)
def test_mutated_java_never_crashes(edits):
    check_java(mutate(JAVA_SEED, edits))


@QUICK
@given(EDITS)
def test_mutated_python_never_crashes(edits):
    check_python(mutate(PY_SEED, edits))


@QUICK
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data):
    check_java(data)
    check_python(data)
