"""synthlog report: the HTML page of a validation and of a bench run, rendered in headless Chromium."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from detect_toydata import toy_dataset
from synthlog.errors import InputError
from synthlog.evaluate.distributions import compare_distributions
from synthlog.evaluate.html import BENCH_SECTIONS, VALIDATION_SECTIONS, find_result, render_html
from synthlog.io.datasets import write_dataset
from synthlog.records import LabeledDataset, LogEvent, Session

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LOG, LABELS = EXAMPLES / "logs" / "blockstore.log", EXAMPLES / "logs" / "blockstore_labels.csv"


def run(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless Chromium here (make test installs Debian's chromium when it runs as root)")


def render_in_browser(page: Path, tmp_path: Path) -> tuple[str, str]:
    """The DOM after scripts ran, and Chromium's log (console messages appear as ':CONSOLE' lines)."""
    out = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                          "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout, out.stderr


def check_page(page: Path, sections: tuple[str, ...], tmp_path: Path) -> str:
    dom, log = render_in_browser(page, tmp_path)
    assert f'data-rendered="{len(sections)}"' in dom  # our script ran and found every section
    for section in sections:
        assert f'id="{section}"' in dom
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert not re.search(r"""(src|href)=["']https?://""", dom)  # self-contained: nothing loaded from elsewhere
    return dom


@pytest.fixture(scope="module")
def validation_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("report")
    spec, gen = work / "spec.yaml", work / "gen"
    for args in (("--seed", "2", "profile", str(LOG), "--format", "hdfs", "--labels", str(LABELS), "--out", str(spec)),
                 ("--seed", "2", "generate", "stats", str(spec), "--lines", "1500", "--out", str(gen)),
                 ("validate", str(LOG), str(gen), "--format", "hdfs", "--labels", str(LABELS))):
        out = run(*args)
        assert out.returncode == 0, out.stderr
    return gen


def test_validation_report_renders_every_section(validation_dir, tmp_path):
    result = json.loads((validation_dir / "validation.json").read_text())
    assert set(result["distributions"]) >= {"template_frequencies", "session_lengths", "inter_arrivals",
                                             "transitions", "levels"}
    out = run("report", str(validation_dir), "--out", str(tmp_path / "v.html"))
    assert out.returncode == 0, out.stderr
    dom = check_page(tmp_path / "v.html", VALIDATION_SECTIONS, tmp_path)
    assert dom.count("<svg") >= 5  # templates, lengths, gaps, heatmaps, levels
    assert "Receiving block" in dom  # the template table names the real templates


def test_bench_report_renders_every_section(tmp_path):
    data = tmp_path / "toy"
    write_dataset(toy_dataset(300, 40, seed=1), data, "toy")
    config = tmp_path / "bench.yaml"
    config.write_text(yaml.safe_dump({"name": "toy", "data": {"real": str(data)}, "detectors": ["pca", "logistic"],
                                      "seeds": [0, 1, 2, 3, 4]}), encoding="utf-8")
    out = run("--quiet", "bench", str(config), "--out", str(tmp_path / "bench"))
    assert out.returncode == 0, out.stderr
    out = run("report", str(tmp_path / "bench" / "results.json"))
    assert out.returncode == 0, out.stderr
    dom = check_page(tmp_path / "bench" / "report.html", BENCH_SECTIONS, tmp_path)
    assert "logistic" in dom and "F1 by detector" in dom


def test_same_result_same_page(validation_dir):
    result = json.loads((validation_dir / "validation.json").read_text())
    assert render_html("validation", result) == render_html("validation", result)


def test_not_a_result_is_one_line_error(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="neither a validation.json nor a bench results.json"):
        find_result(tmp_path / "x.json")
    out = run("report", str(tmp_path))
    assert out.returncode == 2 and "holds neither validation.json" in out.stderr and "Traceback" not in out.stderr


def test_distributions_compare_both_sides():
    def session(sid, keys, t0):
        return Session(sid, [LogEvent(content=k, timestamp=t0 + i * 0.5, level="INFO" if k != "c" else "ERROR")
                             for i, k in enumerate(keys)])

    real = LabeledDataset("r", [session("1", ["a", "b", "c"], 0.0), session("2", ["a", "b"], 10.0)])
    synthetic = LabeledDataset("s", [session("1", ["a", "b"], 0.0)])
    dist = compare_distributions(real, synthetic)
    tf = dist["template_frequencies"]
    assert tf["templates"][:2] == ["a", "b"] and tf["real"][0] == pytest.approx(0.4)
    assert tf["synthetic"][0] == pytest.approx(0.5) and tf["real_only"] == 1
    assert dist["levels"]["levels"] == ["ERROR", "INFO"] and dist["levels"]["synthetic"] == [0.0, 1.0]
    assert dist["inter_arrivals"]["real_count"] == 3 and dist["transitions"]["real"][0][1] == 1.0
