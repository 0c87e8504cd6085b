"""Streams of generated events: stdout, syslog (UDP, TCP) and OTLP/HTTP against real local servers; pacing;
OpenTelemetry records."""

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.otel import export_request, log_record
from synthlog.io.sinks import Pacer, open_sink, syslog_message
from synthlog.records import ANOMALY, LogEvent
from synthlog.stats.simulate import StatsSynthesizer

SPEC = Path(__file__).resolve().parents[1] / "examples" / "specs" / "payment.yaml"


def run(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, timeout=300)


def test_stdout_stream_is_one_otel_request_per_line():
    out = run("--seed", "4", "generate", "stats", str(SPEC), "--lines", "50", "--out", "-", "--formats", "otel")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 50
    records = [json.loads(line)["resourceLogs"][0] for line in lines]
    first = records[0]["scopeLogs"][0]["logRecords"][0]
    assert {"timeUnixNano", "severityText", "severityNumber", "body", "attributes"} <= set(first)
    assert records[0]["resource"]["attributes"][0]["key"] == "service.name"
    times = [int(r["scopeLogs"][0]["logRecords"][0]["timeUnixNano"]) for r in records]
    assert times == sorted(times)


def test_stream_and_files_carry_the_same_events(tmp_path):
    synth = StatsSynthesizer(SPEC)
    streamed = [json.loads(line) for line in run("--seed", "4", "generate", "stats", str(SPEC), "--lines", "40",
                                                 "--out", "-", "--formats", "jsonl").stdout.splitlines()]
    events = list(synth.iter_events(n_lines=40, seed=4))
    assert [s["content"] for s in streamed] == [e.content for e, _ in events]
    assert [s["session_id"] for s in streamed] == [sid for _, sid in events]


def test_rate_and_follow_need_a_stream(tmp_path):
    out = run("generate", "stats", str(SPEC), "--lines", "5", "--out", str(tmp_path / "d"), "--rate", "10")
    assert out.returncode == 2 and "--rate and --follow pace a stream" in out.stderr


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_releases_event_i_at_i_over_rate():
    clock = FakeClock()
    pacer = Pacer(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(9):
        pacer.wait()
        clock.now += 0.01  # each send costs 10 ms
    assert clock.now == pytest.approx(100.0 + 8 / 4.0 + 0.01)  # 9 events in 2 s at 4/s, plus the last send
    assert len(clock.slept) == 8


def test_pacer_catches_up_after_a_slow_send():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.now += 0.5  # one send stalls for 5 events' time
    for _ in range(5):
        pacer.wait()
    assert clock.slept == []  # those 5 were already due: no sleep, the rate is made up
    pacer.wait()
    assert clock.slept == [pytest.approx(0.1)]


@pytest.mark.parametrize("rate", [0, -1, float("inf")])
def test_pacer_refuses_a_rate_that_is_no_rate(rate):
    with pytest.raises(InputError, match="--rate"):
        Pacer(rate)


def _events(n: int) -> list[tuple[LogEvent, str]]:
    return [(LogEvent(f"line {i} ü", timestamp=(1_700_000_000 + i) * 1_000_000, level="ERROR" if i % 3 == 0 else "INFO",
                      component="svc", template_id=f"E{i % 2}", fields={"Pid": "42"}), f"s{i}") for i in range(n)]


def test_syslog_udp_server_receives_every_line():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(10)
    port = server.getsockname()[1]
    with open_sink(f"syslog://127.0.0.1:{port}", "otel", "app") as sink:
        for event, sid in _events(20):
            sink.send(event, sid)
    got = [server.recv(65536) for _ in range(20)]
    server.close()
    assert got[0].startswith(b"<11>1 2023-11-14T22:13:20.000000Z - app 42 E0 - \xef\xbb\xbfline 0 ")  # user.err
    assert got[1].startswith(b"<14>1 ")  # user.info
    assert [g.split(b"\xef\xbb\xbf", 1)[1].decode() for g in got] == [f"line {i} ü" for i in range(20)]


def test_syslog_tcp_server_receives_octet_counted_frames():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def serve():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=serve)
    thread.start()
    with open_sink(f"syslog+tcp://127.0.0.1:{port}", "otel", "app") as sink:
        for event, sid in _events(30):
            sink.send(event, sid)
    thread.join(10)
    server.close()
    frames, data = [], bytes(received)
    while data:
        length, rest = data.split(b" ", 1)
        frames.append(rest[: int(length)])
        data = rest[int(length):]
    assert len(frames) == 30 and all(f.startswith(b"<") for f in frames)
    assert frames[29].endswith("line 29 ü".encode())


class Collector(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append({"path": self.path, "type": self.headers["Content-Type"],
                                    "body": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_otlp_http_collector_receives_every_record():
    Collector.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        synth = StatsSynthesizer(SPEC)
        sent = synth.stream(f"otlp+http://127.0.0.1:{server.server_address[1]}", n_lines=250, seed=2)
    finally:
        server.shutdown()
        thread.join()
    assert sent == 250
    assert {r["path"] for r in Collector.requests} == {"/v1/logs"}
    assert {r["type"] for r in Collector.requests} == {"application/json"}
    bodies = [rec["body"]["stringValue"] for r in Collector.requests for res in r["body"]["resourceLogs"]
              for scope in res["scopeLogs"] for rec in scope["logRecords"]]
    assert sorted(bodies) == sorted(e.content for e, _ in synth.iter_events(n_lines=250, seed=2))


def test_unreachable_otlp_endpoint_is_one_line_error():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    out = run("generate", "stats", str(SPEC), "--lines", "5", "--out", f"otlp+http://127.0.0.1:{port}")
    assert out.returncode == 2 and "cannot reach the OTLP endpoint" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("target", ["syslog://nohost", "ftp://127.0.0.1:21", "otlp+http://127.0.0.1:99999"])
def test_bad_stream_targets_are_refused(target):
    with pytest.raises(InputError, match="--out"):
        open_sink(target, "otel", "x")


def test_otel_record_fields():
    event = LogEvent("disk full", timestamp=1_500_000, level="fatal", component="store", template_id="E7",
                     parameters=["/dev/sda"], label=ANOMALY, label_rule="keyword", attributes={"retry": 2})
    record = log_record(event, "s1")
    assert record["timeUnixNano"] == "1500000000" and record["severityNumber"] == 21
    keys = {a["key"]: a["value"] for a in record["attributes"]}
    assert keys["log.template.id"] == {"stringValue": "E7"} and keys["synthlog.retry"] == {"intValue": "2"}
    assert keys["synthlog.label"] == {"stringValue": "Anomaly"}
    request = export_request([(event, "s1"), (LogEvent("x", component="other"), None)], "default")
    assert [r["resource"]["attributes"][0]["value"]["stringValue"] for r in request["resourceLogs"]] == \
        ["store", "other"]
    assert syslog_message(event, "a b").startswith(b"<10>1 1970-01-01T00:00:01.500000Z - ab - E7 - ")
