"""One time-ordered stream: the k-way merge, session arrivals, and `generate code` streaming to disk."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blockstore import RECIPE, SRC, TEMPLATES
from synthlog.code.callgraph import build_call_graph
from synthlog.errors import ConfigError
from synthlog.io.atomic import STAGING_PREFIX
from synthlog.io.datasets import load_directory
from synthlog.io.jsonl import event_from_dict, event_line, event_lines, event_to_dict
from synthlog.io.logformat import read_raw
from synthlog.io.loghub import read_structured
from synthlog.io.stream import pack
from synthlog.records import LogEvent
from synthlog.synth.arrivals import Arrivals, Bursts
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer
from synthlog.synth.recipe import load_recipe
from synthlog.synth.timeline import PackedMerge, TimeMerge, TimeOrderError

ROOT = Path(__file__).resolve().parents[1]


# ---- the merge ---------------------------------------------------------------------------------------------

def _sessions(count: int, seed: int) -> list[tuple[float, list[float]]]:
    """Sessions starting 1 s apart on average, each logging 1-6 rows over up to 100 s (some before its start)."""
    rng = random.Random(seed)
    out, start = [], 0.0
    for _ in range(count):
        start += rng.expovariate(1.0)
        times = sorted(start - 0.5 + rng.uniform(0, 100) * rng.random() ** 3 for _ in range(rng.randint(1, 6)))
        out.append((start, times))
    return out


def _merged(sessions, every: int) -> list[tuple[float, int, int]]:
    merge: TimeMerge[tuple[float, int, int]] = TimeMerge()
    out = []
    for index, (_, times) in enumerate(sessions):
        merge.add(index, times, [(t, index, j) for j, t in enumerate(times)])
        if (index + 1) % every == 0 and index + 1 < len(sessions):
            out += merge.release(sessions[index + 1][0] - 0.5)  # lead: rows come at most 0.5 s before a start
    return out + list(merge.drain())


def test_merge_gives_every_row_once_in_time_order_whatever_the_release_cadence():
    sessions = _sessions(600, seed=3)
    every_row = sorted((t, i, j) for i, (_, times) in enumerate(sessions) for j, t in enumerate(times))
    for every in (1, 7, 600):
        assert _merged(sessions, every) == every_row


def test_ties_are_broken_by_session_then_row_index():
    merge: TimeMerge[str] = TimeMerge()
    merge.add(0, [1.0, 2.0, 2.0], ["a0", "a1", "a2"])
    merge.add(1, [1.0, 2.0], ["b0", "b1"])
    assert list(merge.drain()) == ["a0", "b0", "a1", "a2", "b1"]


def test_merge_holds_only_open_sessions():
    merge: TimeMerge[int] = TimeMerge()
    for index in range(1000):  # each session lasts 5 s, one starts every second: about 5 are open at a time
        merge.add(index, [float(index), index + 5.0], [0, 1])
        list(merge.release(index + 1.0))
        assert merge.open_sessions <= 6
    assert merge.peak_open <= 6


def test_a_session_that_logs_before_released_rows_is_refused():
    merge: TimeMerge[str] = TimeMerge()
    merge.add(0, [10.0], ["a"])
    assert list(merge.release(10.0)) == ["a"]
    with pytest.raises(TimeOrderError, match="session 1 logs at 9.5"):
        merge.add(1, [9.5], ["b"])


def _packed_merged(sessions, every: int, chunk: int) -> list[tuple[str, ...]]:
    """The rows of ``sessions`` through a PackedMerge: chunks of ``chunk`` sessions, runs of ``every`` sessions
    (each run's lines sorted by time, session, row, as render_chunk packs them), a release after every run; rows
    are text (a non-ASCII one too) so that the pieces can be cut back into rows."""
    merge = PackedMerge()
    out: list[tuple[str, ...]] = []

    def take(count: int, columns: list[list[bytes]]) -> None:
        if count:
            raw, rows = ("".join(p.decode() for p in column).splitlines() for column in columns)
            assert len(columns[1]) == count == len(raw) == len(rows)  # the structured rows: one piece each
            out.extend(zip(raw, rows, strict=True))
    for first in range(0, len(sessions), chunk):
        runs, lines = [], []
        for run_first in range(first, min(first + chunk, len(sessions)), every):
            members = range(run_first, min(run_first + every, first + chunk, len(sessions)))
            run = sorted((t, i, j) for i in members for j, t in enumerate(sessions[i][1]))
            runs.append((run, [max(sessions[i][1]) for i in members]))
            lines += run
        texts = [f"{t:.6f} s{i} r{j} \u00e9\n" for t, i, j in lines]
        columns = [pack(texts), pack([f"row {i}.{j}\n" for _, i, j in lines])]
        at = 0
        for run, lasts in runs:
            merge.add(np.array([round(t * 1e6) for t, _, _ in run], dtype=np.int64), [c.data for c in columns],
                      [c.bounds[at:at + len(run) + 1] for c in columns], [round(t * 1e6) for t in lasts])
            at += len(run)
            following = run[-1][1] + 1 if run else None
            if following is not None and following < len(sessions):
                take(*merge.release((sessions[following][0] - 0.501) * 1e6, per_line=(1,)))  # micros round
    for released in merge.drain(per_line=(1,), lines=50):
        take(*released)
    return out


def test_packed_merge_gives_every_line_once_in_time_order_whatever_the_runs_and_chunks():
    sessions = _sessions(600, seed=3)
    every_row = sorted((round(t * 1e6), i, j) for i, (_, times) in enumerate(sessions) for j, t in enumerate(times))
    expected = [(f"{t / 1e6:.6f} s{i} r{j} \u00e9", f"row {i}.{j}") for t, i, j in every_row]
    for every, chunk in ((1, 7), (7, 50), (64, 600)):
        assert _packed_merged(sessions, every, chunk) == expected


def test_packed_merge_coalesces_lines_of_a_run_and_counts_open_sessions():
    merge = PackedMerge()
    packed = pack(["a0\n", "a1\n", "b0\n"])
    merge.add(np.array([1, 2], dtype=np.int64), [packed.data], [packed.bounds[:3]], [2])  # session a
    merge.add(np.array([3], dtype=np.int64), [packed.data], [packed.bounds[2:]], [3])  # session b
    assert merge.peak_open == 2
    assert merge.release(2.5) == (2, [[b"a0\na1\n"]])  # one piece for two lines of one run
    assert merge.open_sessions == 1
    assert list(merge.drain(per_line=(0,))) == [(1, [[b"b0\n"]])]
    assert merge.open_sessions == 0


def test_a_packed_run_keeps_a_copy_of_its_lines_left_once_they_are_few():
    merge = PackedMerge()
    packed = pack(["x" * 1000 + "\n", "y" * 1000 + "\n", "z\n"])
    merge.add(np.array([1, 2, 3], dtype=np.int64), [packed.data], [packed.bounds], [3])
    assert merge.release(2.0) == (2, [[b"x" * 1000 + b"\n" + b"y" * 1000 + b"\n"]])
    assert [len(column) for column in merge._runs[0].data] == [2]  # "z\n" alone, not the chunk's 2,004 bytes
    assert list(merge.drain()) == [(1, [[b"z\n"]])]


def test_a_packed_run_that_logs_before_released_lines_is_refused():
    merge = PackedMerge()
    packed = pack(["a\n", "b\n"])
    merge.add(np.array([10], dtype=np.int64), [packed.data], [packed.bounds[:2]], [10])
    assert merge.release(10.0) == (1, [[b"a\n"]])
    with pytest.raises(TimeOrderError, match="logs at 9, before 10.0"):
        merge.add(np.array([9], dtype=np.int64), [packed.data], [packed.bounds[1:]], [9])


# ---- arrivals ----------------------------------------------------------------------------------------------

def test_arrivals_never_decrease_and_follow_the_rate():
    arrivals = Arrivals(start=1000.0, rate_per_s=4.0, seed=5)
    times = [arrivals.time(i) for i in range(4000)]
    assert times == sorted(times) and times[0] >= 1000.0
    assert 4000 / 4.0 - 2 < times[-1] - 1000.0 < 4000 / 4.0 + 2
    assert Arrivals(1000.0, 4.0, seed=6).time(17) != times[17]


def test_bursts_raise_the_rate_inside_their_window():
    bursts = Bursts(every_s=100.0, duration_s=10.0, factor=8.0)
    arrivals = Arrivals(start=0.0, rate_per_s=2.0, seed=1, bursts=bursts)
    times = [arrivals.time(i) for i in range(20_000)]
    assert times == sorted(times)
    periods = int(times[-1] // 100)
    assert abs(len(times) - periods * 2.0 * (100 + 7 * 10)) < 400  # 340 sessions per period
    # the busiest 10 s of each period hold about factor times the sessions of any other 10 s
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    assert gaps[len(gaps) // 4] < 0.5 / 8 * 2  # a large share of gaps are burst gaps (mean 1/16 s)


def test_recipe_takes_arrivals_or_a_session_gap_not_both(tmp_path):
    text = RECIPE.read_text()
    good = tmp_path / "good.yaml"
    good.write_text(text.replace("session_gap_ms: {min: 20, max: 400}",
                                 "arrivals: {rate_per_s: 3, bursts: {every_s: 60, duration_s: 5, factor: 4}}"))
    assert load_recipe(good).arrivals.bursts.factor == 4
    both = tmp_path / "both.yaml"
    both.write_text(text + "arrivals: {rate_per_s: 3}\n")
    with pytest.raises(ConfigError, match="arrivals or session_gap_ms"):
        load_recipe(both)
    long = tmp_path / "long.yaml"
    long.write_text(good.read_text().replace("duration_s: 5", "duration_s: 60"))
    with pytest.raises(ConfigError, match="duration_s"):
        load_recipe(long)


# ---- streaming writers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("event", [
    LogEvent('a"b\n\u2028é\x00\\', 1.5, "INFO", "c", "E1", ["x", "y\t"], 1, "r", 3, {"Date": "1"},
             {"statement": "s", "run": 2, "f": 1.25, "b": True, "n": None, "l": [1, {"a": 2}], "x": float("nan")}),
    LogEvent(""),
    LogEvent("x", 12, None, None, None, [], 0, None, None, {}, {}),
])
def test_event_lines_are_the_json_of_the_event_with_its_session(event):
    for session in (None, "blk_1"):
        record = json.loads(event_line(event, session)) if event.attributes.get("x") is None else None
        expected = event_to_dict(event)
        if session is not None:
            expected["attributes"] = {**event.attributes, "session": session}
        line = event_line(event, session)
        assert line.endswith("\n") and line.count("\n") == 1
        assert line == json.dumps(expected, ensure_ascii=False, separators=(",", ":")) + "\n"
        assert record is None or event_from_dict(record).content == event.content


def test_a_sessions_event_lines_are_encoded_together_with_the_same_text():
    events = [LogEvent("a", 1.0, "INFO", attributes={"run": 0}), LogEvent('{"content":"x"}', 2.0),
              LogEvent("nested", 3.0, attributes={"l": [1, {"content": 2}]})]  # a record-like text inside
    for chosen in (events[:2], events, []):
        assert event_lines(chosen, "s1") == [event_line(e, "s1") for e in chosen]


def test_event_lines_written_by_hand_are_the_encoders_text():
    """Events of plain values are written without the encoder: every kind of value, present or not, an escape,
    and values of other types (which the encoder writes) give event_line's text."""
    plain = LogEvent('q"\\ é\u2028\x01', 1226262899901776, "INFO", "dfs.X", "E5", ["blk_1", 'a"b'], 1, "rule", 7,
                     {"Date": "081109", "Pid": "1\n"}, {"statement": "S1", "run": 2})
    variants = [plain, LogEvent("bare", 5), LogEvent("no time"), LogEvent("x", 12, None, None, None, [], 0, None,
                                                                           None, {}, {}),
                LogEvent("empties", 3, "", "", "", [], None, "", None, {}, {}),
                LogEvent("bool label", 3, "INFO", "c", "E1", [], True),
                LogEvent("own session", 3, "INFO", "c", "E1", attributes={"session": "mine", "a": 1}),
                LogEvent("odd values", 3, "INFO", "c", "E1", [1, "x"], 0, None, None, {"n": 2},
                         {"f": 0.5, "b": False, "l": [1]}),
                LogEvent("float time", 2.5, "INFO", "c", "E1")]
    for session in (None, "blk_\"1"):
        assert event_lines(variants, session) == [event_line(e, session) for e in variants]


# ---- generate code, streamed ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synth():
    return CodeSynthesizer(CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES)).fit(build_call_graph(SRC))


def test_written_stream_is_time_ordered_interleaved_and_the_sampled_sessions(tmp_path, synth):
    summary = synth.write(tmp_path, 300, seed=4)
    name = "blockstore"
    raw = list(read_raw(tmp_path / f"{name}.log", "hdfs"))
    structured = list(read_structured(tmp_path / f"{name}.log_structured.csv"))
    events = [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    assert len(raw) == len(structured) == len(events) == summary["lines"]
    for stamps in ([e.timestamp for e in raw], [e.timestamp for e in structured], [e["timestamp"] for e in events]):
        assert stamps == sorted(stamps)
    sessions = [e["attributes"]["session"] for e in events]
    resumed = sum(1 for a, b in zip(sessions, sessions[1:], strict=False) if a != b)
    assert resumed > summary["sessions"], "sessions interleave: the stream switches sessions more often than once each"
    # read back, the stream holds exactly the sessions sample() makes, each in its own order
    loaded = {s.id: s for s in load_directory(tmp_path).sessions}
    sampled = synth.sample(300, seed=4)
    assert len(loaded) == len(sampled.sessions)
    for session in sampled.sessions:
        back = loaded[session.id]
        assert back.label == session.label
        assert [(e.content, e.timestamp, e.fields) for e in back.events] == \
            [(e.content, e.timestamp, e.fields) for e in session.events]
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == synth.summary(sampled) | {"files": on_disk["files"]}


def test_output_bytes_do_not_depend_on_the_release_cadence(tmp_path, synth):
    for every in (1, 13, 400):
        synth.write(tmp_path / str(every), 400, seed=8, release_every=every)
    for file in sorted((tmp_path / "1").iterdir()):
        assert (tmp_path / "13" / file.name).read_bytes() == file.read_bytes(), file.name
        assert (tmp_path / "400" / file.name).read_bytes() == file.read_bytes(), file.name


def test_memory_holds_open_sessions_only(tmp_path, synth):
    """Structural bound: with one session a second, at most rate x the longest session span are open at once."""
    recipe = load_recipe(RECIPE)
    latest: dict[str, float] = {}
    for stage in recipe.stages:
        # every run logs a handful of lines, each at most spacing_ms apart
        latest[stage.name] = latest.get(stage.after, 0.0) + (stage.delay_ms.max + 10 * stage.spacing_ms.max) / 1000
    span_s = max(latest.values())
    slow = tmp_path / "slow.yaml"
    slow.write_text(RECIPE.read_text().replace("session_gap_ms: {min: 20, max: 400}", "arrivals: {rate_per_s: 1}"))
    paced = CodeSynthesizer(CodeGenConfig(recipe=slow, align_to=TEMPLATES)).fit(synth.graph_)
    n = 2000
    paced.write(tmp_path / "out", n, seed=2)
    assert paced.peak_open_sessions_ <= span_s * 1.0 + 10 < n / 2  # all sessions held would be n


def test_an_interrupted_run_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    process = subprocess.Popen([sys.executable, "-m", "synthlog", "--quiet", "--force", "generate", "code", str(SRC),
                                "--recipe", str(RECIPE), "-n", "10000000", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > 1 << 16 for p in out.glob(f"{STAGING_PREFIX}*/*")):  # writing has begun
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode != 0
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
