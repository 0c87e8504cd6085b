"""Sessionizers (entity, fixed and sliding windows), their CLI specs, and session labels."""

import pytest

from synthlog.errors import InputError
from synthlog.parse.sessions import (
    by_entity,
    by_time_window,
    label_from_entities,
    label_from_lines,
    sessionizer,
    sliding_windows,
)
from synthlog.records import ANOMALY, NORMAL, LogEvent, micros_of


def _ev(content, t=None, label=None, line=None):
    """An event at ``t`` epoch seconds."""
    return LogEvent(content=content, timestamp=micros_of(t), label=label, line_id=line)


def test_a_line_joins_every_block_it_names_once():
    events = [_ev("alloc blk_1"), _ev("copy blk_1 to blk_-2 (blk_1 again)"), _ev("no block"), _ev("del blk_-2")]
    sessions = by_entity(events)
    assert [s.id for s in sessions] == ["blk_1", "blk_-2"]
    assert [e.content for e in sessions[0].events] == ["alloc blk_1", "copy blk_1 to blk_-2 (blk_1 again)"]
    assert sessions[1].events[0] is events[1]
    assert len(sessions[1]) == 2


def test_custom_entity_pattern():
    sessions = by_entity([_ev("req=a1 start"), _ev("req=b2 start"), _ev("req=a1 end")], pattern=r"req=\w+")
    assert [(s.id, len(s)) for s in sessions] == [("req=a1", 2), ("req=b2", 1)]


def test_fixed_time_windows_skip_empty_ones():
    events = [_ev("a", 100.0), _ev("b", 104.9), _ev("c", 105.0), _ev("d", 131.0)]
    sessions = by_time_window(events, 5)
    assert [(s.id, [e.content for e in s.events]) for s in sessions] == [
        ("win_0000000", ["a", "b"]), ("win_0000001", ["c"]), ("win_0000006", ["d"])]


def test_count_sliding_windows_like_the_zookeeper_labels():
    events = [_ev(str(i)) for i in range(74)]
    sessions = sliding_windows(events, size=10, step=2)
    assert len(sessions) == 33  # (74 - 10) // 2 + 1
    assert [e.content for e in sessions[1].events] == [str(i) for i in range(2, 12)]


def test_time_sliding_windows_jump_over_gaps():
    events = [_ev("a", 0.0), _ev("b", 1.0), _ev("c", 1000.0)]
    sessions = sliding_windows(events, size=2, step=1, by="time")
    # windows start at 0, 1, then (skipping ~1000 empty ones) at 999 and 1000, the two that hold "c"
    assert [[e.content for e in s.events] for s in sessions] == [["a", "b"], ["b"], ["c"], ["c"]]
    assert [s.attributes["start"] for s in sessions] == [0.0, 1.0, 999.0, 1000.0]


def test_time_windows_need_timestamps():
    with pytest.raises(InputError, match="line 7 has no timestamp"):
        by_time_window([_ev("x", line=7)], 5)


def test_labels_from_entity_file_and_from_lines():
    sessions = by_entity([_ev("blk_1", label=NORMAL), _ev("blk_2", label=ANOMALY), _ev("blk_3")])
    label_from_entities(sessions, {"blk_2": ANOMALY, "blk_1": NORMAL})
    assert [s.label for s in sessions] == [NORMAL, ANOMALY, None]
    label_from_entities(sessions, {"blk_2": ANOMALY}, default=NORMAL)
    assert [s.label for s in sessions] == [NORMAL, ANOMALY, NORMAL]
    label_from_lines(sessions)
    assert [s.label for s in sessions] == [NORMAL, ANOMALY, None]


_SPEC_EVENTS = [_ev(f"req=r{i % 3} blk_{i % 4}", t=20.0 * i, line=i + 1) for i in range(30)]


@pytest.mark.parametrize("spec, expected", [
    ("blk", by_entity(_SPEC_EVENTS)),
    ("entity:req=\\w+", by_entity(_SPEC_EVENTS, pattern=r"req=\w+")),
    ("window:60", by_time_window(_SPEC_EVENTS, 60)),
    ("sliding:10,2", sliding_windows(_SPEC_EVENTS, 10, 2)),
    ("sliding-time:60,30", sliding_windows(_SPEC_EVENTS, 60, 30, by="time")),
])
def test_session_specs_make_the_sessions_of_their_sessionizer(spec, expected):
    made = sessionizer(spec)(_SPEC_EVENTS)
    assert len(made) > 1
    assert [(s.id, [e.line_id for e in s.events]) for s in made] == [
        (s.id, [e.line_id for e in s.events]) for s in expected]


@pytest.mark.parametrize("spec", ["nope", "window:-1", "sliding:10", "entity:(", "sliding:a,b", "sliding:0.5,1",
                                  "sliding:10,2.5"])
def test_bad_session_specs_are_one_line_errors(spec):
    with pytest.raises(InputError, match="--sessions"):
        sessionizer(spec)
