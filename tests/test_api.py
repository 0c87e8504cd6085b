"""The user's API: top-level names, the README's Python snippets (as doctests), module doctests, no import cycle
among packages, and the base install without any extra."""

import ast
import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import synthlog

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "synthlog"


def test_top_level_api_resolves_every_name():
    for name in synthlog.__all__:
        assert getattr(synthlog, name) is not None, name
    with pytest.raises(AttributeError):
        synthlog.no_such_thing  # noqa: B018


def test_evaluate_is_callable_after_its_submodules_are_imported():
    import synthlog.evaluate.fidelity  # noqa: F401  (binds synthlog.evaluate to the package)

    assert callable(synthlog.evaluate)


def test_readme_python_snippets_run(monkeypatch):
    monkeypatch.chdir(REPO)
    result = doctest.testfile(str(REPO / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


def test_module_doctests_run(monkeypatch):
    import synthlog.evaluate.quality as quality

    monkeypatch.chdir(REPO)
    result = doctest.testmod(quality, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def _package_of(module: str) -> str:
    """``synthlog.io.datasets`` -> ``io``; a top-level module (``synthlog.records``) is its own node."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else module


def import_graph() -> dict[str, set[str]]:
    """Package -> packages its modules import (at module level or inside functions)."""
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        if rel.parts[-1] == "__main__":
            continue  # the entry point may import anything
        source = _package_of(".".join(rel.parts if rel.parts[-1] != "__init__" else rel.parts[:-1]))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("synthlog.") and _package_of(name) != source:
                    graph.setdefault(source, set()).add(_package_of(name))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_among_packages():
    graph = import_graph()
    assert {"io", "stats", "evaluate", "synth", "code", "detect"} <= set(graph)  # the walk sees the packages
    assert find_cycle(graph) is None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


BLOCKER = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "openai", "dask", "distributed", "matplotlib", "jinja2"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Blocker())
from synthlog.cli import main
main(sys.argv[1:])
"""


def run_without_extras(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], capture_output=True, text=True, cwd=REPO)


def test_base_install_works_without_extras(tmp_path):
    out = run_without_extras("--seed", "3", "generate", "code", "examples/blockstore/src", "--recipe",
                             "examples/blockstore/recipe.yaml", "-n", "30", "--out", str(tmp_path / "code"))
    assert out.returncode == 0, out.stderr
    config = tmp_path / "bench.yaml"
    config.write_text((REPO / "configs/bench/smoke.yaml").read_text().replace(
        "detectors: [pca, invariants, logistic, decision_tree]", "detectors: [pca, logistic]"), encoding="utf-8")
    out = run_without_extras("--quiet", "bench", str(config), "--out", str(tmp_path / "bench"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "bench" / "results.csv").is_file() and not (tmp_path / "bench" / "plots").exists()


@pytest.mark.parametrize(("args", "extra"), [
    (["report", "RESULT"], "report"),
    (["--quiet", "bench", "NEURAL", "--out", "OUT"], "neural"),
    (["generate", "code", "examples/blockstore/src", "--recipe", "examples/blockstore/recipe.yaml", "-n", "5",
      "--checker", "llm", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "--out", "OUT"], "llm"),
    (["generate", "stats", "examples/specs/payment.yaml", "--lines", "100", "--workers", "2", "--out", "OUT"],
     "distributed"),
])
def test_a_feature_without_its_extra_names_the_extra(tmp_path, args, extra):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "results.json").write_text('{"rows": [], "summary": []}', encoding="utf-8")
    neural = tmp_path / "neural.yaml"
    neural.write_text((REPO / "configs/bench/smoke.yaml").read_text().replace(
        "detectors: [pca, invariants, logistic, decision_tree]", "detectors: [deeplog]"), encoding="utf-8")
    swap = {"RESULT": str(tmp_path / "r"), "NEURAL": str(neural), "OUT": str(tmp_path / "out")}
    out = run_without_extras(*[swap.get(a, a) for a in args])
    assert out.returncode == 2, out.stderr
    assert f"pip install 'synthlog[{extra}]'" in out.stderr and "Traceback" not in out.stderr
