"""Scanning a tree: counts of partial and skipped files, deterministic ids and order, CSV, the CLI command."""

import csv

import pytest

from synthlog.cli import main
from synthlog.code.scan import read_statements_csv, scan, write_statements_csv
from synthlog.errors import InputError

JAVA = b'class A { void f(String x) { LOG.info("hello " + x); LOG.warn("bye"); } }\n'
PY = b'import logging\nlogging.getLogger(__name__).info("py %s", 1)\n'


@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "b" / "sub").mkdir(parents=True)
    (tmp_path / "a.java").write_bytes(JAVA)
    (tmp_path / "b" / "sub" / "c.py").write_bytes(PY)
    (tmp_path / "b" / "broken.java").write_bytes(b'class B { void g() { LOG.error("still found"); int = ; }')
    (tmp_path / "b" / "binary.java").write_bytes(b"\x00\x01\x02class")
    (tmp_path / "b" / "latin1.py").write_bytes('log.info("caf\xe9")\n'.encode("latin-1"))
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.java").write_bytes(JAVA)
    (tmp_path / "notes.txt").write_text("LOG.info('not code')")
    return tmp_path


def test_scan_counts_partial_and_skipped_files(tree):
    result = scan(tree)
    assert result.files == 3
    assert result.partial_files == ["b/broken.java"]
    assert sorted((s.path, s.reason) for s in result.skipped) == [("b/binary.java", "binary"),
                                                                  ("b/latin1.py", "not UTF-8")]
    assert [(s.file, s.template) for s in result.statements] == [
        ("a.java", "hello <*>"), ("a.java", "bye"), ("b/broken.java", "still found"), ("b/sub/c.py", "py <*>")]
    assert result.statements[2].partial and not result.statements[0].partial
    assert "4 logging statements in 3 files (1 partial, 2 skipped)" in result.summary()


def test_unreadable_files_are_skipped(tree):
    (tree / "dangling.java").symlink_to(tree / "gone.java")  # listed, but reading it fails
    assert ("dangling.java", "unreadable") in [(s.path, s.reason) for s in scan(tree).skipped]


def test_ids_are_stable_and_distinct(tree, tmp_path_factory):
    first = scan(tree)
    copy = tmp_path_factory.mktemp("copy")
    for path in sorted(tree.rglob("*")):
        target = copy / path.relative_to(tree)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    second = scan(copy)
    assert [s.id for s in first.statements] == [s.id for s in second.statements]
    assert len({s.id for s in first.statements}) == len(first.statements)


def test_exclude_and_single_file(tree):
    assert {s.file for s in scan(tree, exclude=["b/*"]).statements} == {"a.java"}
    single = scan(tree / "a.java")
    assert [s.file for s in single.statements] == ["a.java", "a.java"]
    with pytest.raises(InputError):
        scan(tree / "missing")


def test_statements_csv_round_trip(tree, tmp_path):
    statements = scan(tree).statements
    out = tmp_path / "out" / "statements.csv"
    write_statements_csv(statements, out)
    with open(out, newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["StatementId", "File", "Line", "EndLine", "Class", "Method", "Level", "Template", "Args",
                      "InCatch"]
    back = read_statements_csv(out)
    assert [(s.id, s.template, s.args, s.cls, s.line) for s in back] == \
        [(s.id, s.template, s.args, s.cls, s.line) for s in statements]


def test_escaped_surrogates_give_writable_templates(tmp_path):
    # Java strings are UTF-16: an escaped pair is one character; a lone surrogate (Java or Python) has no UTF-8 form
    (tmp_path / "A.java").write_text('class A { void f() { LOG.info("pair \\uD83D\\uDE00 lone \\uD83D {}", 1); } }')
    (tmp_path / "m.py").write_text('import logging\nlogging.info("lone \\ud83d %s", 1)\n')
    statements = scan(tmp_path).statements
    assert [s.template for s in statements] == ["pair \U0001F600 lone \ufffd <*>", "lone \ufffd <*>"]
    write_statements_csv(statements, tmp_path / "s.csv")
    assert [s.template for s in read_statements_csv(tmp_path / "s.csv")] == [s.template for s in statements]


def test_cli_scan_writes_the_csv_and_prints_a_summary(tree, tmp_path, capsys):
    out = tmp_path / "s.csv"
    main(["--quiet", "code", "scan", str(tree), "--out", str(out)])
    assert "4 logging statements in 3 files" in capsys.readouterr().out
    assert len(read_statements_csv(out)) == 4
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".s.csv")]
    assert leftovers == []


def test_cli_scan_of_a_missing_tree_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["code", "scan", str(tmp_path / "nope"), "--out", str(tmp_path / "s.csv")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope" in err and "Traceback" not in err
    assert not (tmp_path / "s.csv").exists()


def test_python_calls_spaced_or_split_over_lines_are_still_found(tmp_path):
    (tmp_path / "a.py").write_text('import logging\nlog = logging.getLogger(__name__)\n'
                                   'log . warning (\n  "spaced %s", 1)\nlog.\\\n    error("continued")\n')
    (tmp_path / "b.py").write_text("def f(x):\n    return x.upper()\n")
    assert sorted(s.template for s in scan(tmp_path).statements) == ["continued", "spaced <*>"]
