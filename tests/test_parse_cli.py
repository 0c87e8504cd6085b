"""The ``synthlog parse`` and ``synthlog datasets`` commands, run as a user runs them."""

import subprocess
import sys
from pathlib import Path

from synthlog.io.loghub import read_labels, read_structured, read_templates
from synthlog.io.sequences import read_sequences

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logs"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def test_parse_writes_loghub_files_and_sessions(tmp_path):
    run = cli("parse", str(EXAMPLE / "blockstore.log"), "--format", "hdfs", "--out", str(tmp_path),
              "--sessions", "blk", "--labels", str(EXAMPLE / "blockstore_labels.csv"))
    assert run.returncode == 0, run.stderr
    assert "parsed 498 lines into" in run.stdout and "36 sessions (6 anomalous)" in run.stdout
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".synthlog-manifest.json", "anomaly_label.csv", "blockstore.log_structured.csv",
                     "blockstore.log_templates.csv", "blockstore.sequences"]
    events = list(read_structured(tmp_path / "blockstore.log_structured.csv"))
    templates = read_templates(tmp_path / "blockstore.log_templates.csv")
    assert len(events) == 498 and {e.template_id for e in events} == set(templates)
    assert sum(t.occurrences for t in templates.values()) == 498
    assert read_labels(tmp_path / "anomaly_label.csv") == read_labels(EXAMPLE / "blockstore_labels.csv")
    assert len(read_sequences(tmp_path / "blockstore.sequences")) == 36


def test_parse_infers_the_layout_when_no_format_is_given(tmp_path):
    log = Path(__file__).resolve().parent / "data" / "layouts" / "linux_like.log"
    run = cli("parse", str(log), "--out", str(tmp_path), "--sessions", "window:60")
    assert run.returncode == 0, run.stderr
    assert r"layout (inferred): <Month> <Day> <Time> <Field1> <Component>(\[<Pid>\])?: <Content>" in run.stderr
    events = list(read_structured(tmp_path / "linux_like.log_structured.csv"))
    assert len(events) == 364 and {e.fields["Pid"] for e in events if e.component == "kernel"} == {""}
    assert len(read_sequences(tmp_path / "linux_like.sequences")) > 1
    unknown = tmp_path / "plain.log"
    unknown.write_text("no time here\nnor a level word\n")
    run = cli("parse", str(unknown), "--out", str(tmp_path / "o"))
    assert run.returncode != 0 and "--format" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_parse_twice_gives_identical_files(tmp_path):
    for out in ("a", "b"):
        assert cli("parse", str(EXAMPLE / "blockstore.log"), "-f", "hdfs", "-o", str(tmp_path / out),
                   "-s", "sliding:20,10").returncode == 0
    for file in (tmp_path / "a").iterdir():
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes()


def test_datasets_list_and_show(tmp_path):
    run = cli("datasets", "list")
    assert run.returncode == 0
    assert "hdfs-first20k" in run.stdout and "zookeeper-windows" in run.stdout
    assert cli("parse", str(EXAMPLE / "blockstore.log"), "-f", "hdfs", "-o", str(tmp_path), "-s", "blk",
               "--labels", str(EXAMPLE / "blockstore_labels.csv")).returncode == 0
    run = cli("datasets", "show", str(tmp_path))
    assert run.returncode == 0
    assert "36 sessions (6 Anomaly, 30 Normal)" in run.stdout and "templates: 12" in run.stdout
