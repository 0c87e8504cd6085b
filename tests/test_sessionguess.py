"""Sessions guessed when the user does not say: the id most lines carry, else time windows, else line windows."""

import subprocess
import sys
import uuid
from pathlib import Path

from synthlog.parse.sessionguess import guess_sessions
from synthlog.parse.sessions import sessionizer
from synthlog.records import LogEvent, micros_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"


def events(contents, step=1.0):
    """Events ``step`` seconds apart."""
    return [LogEvent(content=c, timestamp=micros_of(1_700_000_000 + i * step), line_id=i + 1)
            for i, c in enumerate(contents)]


def test_the_id_on_most_lines_becomes_the_entity():
    lines = []
    for i in range(40):
        block = f"blk_{'-' if i % 3 else ''}{10**12 + i * 7919}"
        lines += [f"Receiving block {block} src: /10.0.0.{i}:50010", f"PacketResponder {i % 3} for block {block}",
                  f"Deleting block {block} file /data/current/{block}", "Served 12 requests in 3 ms"]
    guess = guess_sessions(events(lines))
    assert guess.spec == r"entity:blk_-?\d+"
    found = sessionizer(guess.spec)(events(lines))
    assert len(found) == 40 and {len(s.events) for s in found} == {3}  # the negative ids are the same entities


def test_uuid_entities_and_a_request_id_that_changes_per_line():
    rng = uuid.UUID(int=7)
    instances = [str(uuid.UUID(int=rng.int + k * 104729)) for k in range(12)]
    lines = [f"[req-{uuid.UUID(int=900 + n)}] [instance: {instances[n % 12]}] Claim successful vcpus {n % 8} CPU"
             for n in range(96)]
    guess = guess_sessions(events(lines))
    # both shapes are on every line; the instance recurs (8 lines each), the request id never does, and the
    # instance's bare UUID shape must not match the UUID inside each req-UUID
    assert guess.spec.startswith("entity:") and "req" not in guess.spec
    found = sessionizer(guess.spec)(events(lines))
    assert sorted(s.id for s in found) == sorted(instances) and {len(s.events) for s in found} == {8}


def test_a_list_of_ids_on_one_line_is_not_the_session_key():
    lines = [f"replicas node{i} node{i + 1} node{i + 2} node{i + 3} ready" for i in range(60)]
    assert guess_sessions(events(lines)).spec.startswith("window:")


def test_no_entity_gives_time_windows_of_about_twenty_lines():
    lines = [f"kernel: CPU{i % 4} temperature above threshold, cpu clock throttled" for i in range(400)]
    guess = guess_sessions(events(lines, step=3.0))  # 400 lines over 1,197 s: 20 lines take 60 s
    assert guess.spec == "window:100"  # rounded up to 1, 2 or 5 x 10^k
    windows = sessionizer(guess.spec)(events(lines, step=3.0))
    assert 10 <= len(lines) / len(windows) <= 40


def test_without_times_the_windows_are_counted_in_lines():
    evs = [LogEvent(content=f"state changed to RUNNING {i}", line_id=i) for i in range(100)]
    assert guess_sessions(evs).spec == "sliding:20,20"


def test_the_label_file_ids_settle_which_id_is_the_session():
    lines = [f"job_{j} task_{j}_{t} attempt started" for j in range(6) for t in range(15)]
    assert guess_sessions(events(lines)).spec == r"entity:job_-?\d+"  # on every line, 15 lines each
    labeled = [f"task_{j}_{t}" for j in range(6) for t in range(15)]
    guess = guess_sessions(events(lines), labeled)
    assert guess.spec == r"entity:task_-?\d+_-?\d+" and "90 of 90 labeled ids" in guess.reason


def test_profile_says_what_it_guessed(tmp_path):
    spec = tmp_path / "spec.yaml"
    run = subprocess.run([sys.executable, "-m", "synthlog", "profile", str(EXAMPLES / "blockstore.log"), "--format",
                          "hdfs", "--out", str(spec)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "sessions: --sessions entity:blk_-?\\d+ (guessed: 36 ids of this shape" in run.stderr + run.stdout
    assert spec.exists()
