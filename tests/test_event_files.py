"""Event files (--formats parquet, otel) from both generators, read with polars and pyarrow; the code path's
streams (stdout, syslog, OTLP/HTTP against real local servers, --follow stopped by Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from blockstore import RECIPE, SRC
from synthlog.errors import InputError
from synthlog.io.datasets import load_directory
from synthlog.io.jsonl import SESSION_KEY
from synthlog.io.parquet import read_event_parquet
from synthlog.records import ANOMALY
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer, generate_code

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "specs" / "payment.yaml"
RECORD_FIELDS = {"timeUnixNano", "severityText", "severityNumber", "body", "attributes"}


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, timeout=300,
                          env=env, **kwargs)


@pytest.fixture(scope="module")
def code_synth(graph):
    return CodeSynthesizer(CodeGenConfig(recipe=RECIPE)).fit(graph)


def otel_records(path: Path) -> list[tuple[str, dict]]:
    """(service, record) of every record of an otel file, in file order."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for resource in json.loads(line)["resourceLogs"]:
            service = resource["resource"]["attributes"][0]["value"]["stringValue"]
            out += [(service, r) for scope in resource["scopeLogs"] for r in scope["logRecords"]]
    return out


def attribute(record: dict, key: str):
    return next(a["value"] for a in record["attributes"] if a["key"] == key)


def check_parquet(path: Path, contents: list[str], sessions: list[str], seconds: list[float]) -> None:
    """The event file holds these events in this order, typed for polars and pyarrow."""
    table = pq.read_table(path)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert pa.types.is_map(table.schema.field("attributes").type)
    frame = pl.read_parquet(path)
    assert frame.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert frame["content"].to_list() == contents
    assert frame["session_id"].to_list() == sessions
    stamps = frame["timestamp"].to_list()
    assert stamps == sorted(stamps)
    assert stamps == [datetime.fromtimestamp(round(s * 1e6) / 1e6, UTC) for s in seconds]


def test_stats_event_files_hold_the_simulated_events(tmp_path):
    out = tmp_path / "s"
    done = cli("--seed", "4", "generate", "stats", str(SPEC), "--lines", "300", "--out", str(out),
               "--formats", "csv,parquet,otel")
    assert done.returncode == 0, done.stderr
    events = list(StatsSynthesizer(SPEC).iter_events(n_lines=300, seed=4))
    check_parquet(out / "payment.parquet", [e.content for e, _ in events], [s for _, s in events],
                  [e.timestamp / 1e6 for e, _ in events])
    records = otel_records(out / "payment.otel.json")
    assert len(records) == 300 and all(set(r) >= RECORD_FIELDS for _, r in records)
    # a request groups its records by service (resource); within a service they keep their time order
    assert sorted((int(r["timeUnixNano"]), service, r["body"]["stringValue"]) for service, r in records) == \
        sorted((e.timestamp * 1000, e.component, e.content) for e, _ in events)
    assert not (out / "payment.jsonl").exists()  # only the files asked for
    anomalous = pl.read_parquet(out / "payment.parquet")["label"].to_list().count(ANOMALY)
    assert anomalous == sum(e.label == ANOMALY for e, _ in events)


def test_stats_event_files_leave_the_other_files_unchanged(tmp_path):
    synth = StatsSynthesizer(SPEC)
    synth.write(tmp_path / "a", n_lines=200, seed=2)
    synth.write(tmp_path / "b", n_lines=200, seed=2, formats=("jsonl", "raw", "csv", "parquet", "otel"))
    for file in ("payment.jsonl", "payment.log", "payment.log_structured.csv", "anomaly_label.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_code_event_files_follow_the_events_jsonl(tmp_path, code_synth):
    summary = code_synth.write(tmp_path / "c", 25, seed=3, formats=("parquet", "otel"))
    assert summary["files"]["parquet"] == "blockstore.parquet" and summary["files"]["otel"] == "blockstore.otel.json"
    lines = [json.loads(line) for line in (tmp_path / "c" / "blockstore.jsonl").read_text().splitlines()]
    contents = [line["content"] for line in lines]
    sessions = [line["attributes"][SESSION_KEY] for line in lines]
    check_parquet(tmp_path / "c" / "blockstore.parquet", contents, sessions, [line["timestamp"] for line in lines])
    records = otel_records(tmp_path / "c" / "blockstore.otel.json")
    assert sorted((r["body"]["stringValue"], attribute(r, "session.id")["stringValue"],
                   attribute(r, "log.header.pid")["stringValue"], service) for service, r in records) == \
        sorted((li["content"], li["attributes"][SESSION_KEY], li["fields"]["Pid"], li["component"]) for li in lines)
    # the event file reads back as the data set's sessions, alone or in the folder
    from_parquet = read_event_parquet(tmp_path / "c" / "blockstore.parquet")
    folder = load_directory(tmp_path / "c")
    assert [(s.id, [e.content for e in s.events]) for s in from_parquet] == \
        [(s.id, [e.content for e in s.events]) for s in folder.sessions]
    (tmp_path / "p").mkdir()
    (tmp_path / "c" / "blockstore.parquet").rename(tmp_path / "p" / "blockstore.parquet")
    assert [s.id for s in load_directory(tmp_path / "p").sessions] == [s.id for s in folder.sessions]


def test_code_unknown_event_format_is_refused_before_the_work(tmp_path):
    with pytest.raises(InputError, match="--formats"):
        generate_code(SRC, tmp_path / "x", 5, 0, CodeGenConfig(recipe=RECIPE), formats=("xml",))
    assert not (tmp_path / "x").exists()


def test_code_stream_to_stdout_is_the_files_events_in_order(tmp_path, code_synth, capsys):
    done = cli("--seed", "3", "generate", "code", str(SRC), "--recipe", str(RECIPE), "-n", "12", "--out", "-",
               "--formats", "jsonl")
    assert done.returncode == 0, done.stderr
    streamed = [json.loads(line) for line in done.stdout.splitlines()]
    written = [(e.content, sid) for e, sid in code_synth.iter_events(12, seed=3)]
    assert [(s["content"], s["session_id"]) for s in streamed] == written
    code_synth.write(tmp_path / "c", 12, seed=3)
    in_file = [json.loads(line) for line in (tmp_path / "c" / "blockstore.jsonl").read_text().splitlines()]
    assert [(e["content"], e["attributes"][SESSION_KEY]) for e in in_file] == written
    capsys.readouterr()
    code_synth.stream("-", 2, seed=3)
    first = json.loads(capsys.readouterr().out.splitlines()[0])["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert set(first) >= RECORD_FIELDS


def test_code_stream_refuses_two_formats_and_rate_without_a_stream(tmp_path):
    config = CodeGenConfig(recipe=RECIPE)
    with pytest.raises(InputError, match="a stream carries one format"):
        generate_code(SRC, "-", 2, 0, config, formats=("otel", "jsonl"))
    with pytest.raises(InputError, match="--rate and --follow pace a stream"):
        generate_code(SRC, tmp_path / "d", 2, 0, config, rate=5)
    with pytest.raises(InputError, match="--rate"):
        generate_code(SRC, "-", 2, 0, config, rate=0)


def test_code_stream_to_syslog_udp_delivers_every_line(code_synth):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(10)
    expected = [e.content for e, _ in code_synth.iter_events(8, seed=1)]
    sent = code_synth.stream(f"syslog://127.0.0.1:{server.getsockname()[1]}", 8, seed=1)
    got = [server.recv(65536) for _ in range(sent)]
    server.close()
    assert sent == len(expected) > 0
    assert [g.split(b"\xef\xbb\xbf", 1)[1].decode() for g in got] == expected
    assert all(b" blockstore" in g.split(b"\xef\xbb\xbf", 1)[0] for g in got)  # APP-NAME: the recipe's name


class Collector(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802  (http.server's naming)
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_code_stream_to_otlp_http_delivers_every_record(code_synth):
    Collector.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        sent = code_synth.stream(f"otlp+http://127.0.0.1:{server.server_address[1]}", 15, seed=2, rate=2000)
    finally:
        server.shutdown()
        thread.join()
    bodies = [r["body"]["stringValue"] for b in Collector.bodies for res in b["resourceLogs"]
              for scope in res["scopeLogs"] for r in scope["logRecords"]]
    assert sent == len(bodies) > 100
    assert sorted(bodies) == sorted(e.content for e, _ in code_synth.iter_events(15, seed=2))


def test_code_follow_streams_until_ctrl_c():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen([sys.executable, "-m", "synthlog", "generate", "code", str(SRC), "--recipe",
                                str(RECIPE), "-n", "1", "--out", "-", "--formats", "jsonl", "--follow", "--rate",
                                "400"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = [process.stdout.readline() for _ in range(200)]  # more events than one session has
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    records = [json.loads(line) for line in lines + rest.splitlines()]
    assert len({r["session_id"] for r in records}) > 1
