"""Time-window recipes: an ensemble runs periodic, start-up and triggered stages over time; each instance's lines are
cut into fixed windows (synthlog.synth.windows), in ZooKeeper's log4j layout with real source lines."""

from __future__ import annotations

import re
from textwrap import dedent

import pytest

from synthlog.errors import ConfigError
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer
from synthlog.synth.recipe import load_recipe

PEER = dedent("""\
    package demo;
    import org.slf4j.Logger;
    import org.slf4j.LoggerFactory;
    public class Peer {
        private static final Logger LOG = LoggerFactory.getLogger(Peer.class);
        private String host;
        private int round;
        void start() {
            LOG.info("Starting peer " + host + " on " + localAddress);
        }
        void tick() {
            LOG.info("Heartbeat from " + host);
        }
        void lose() {
            LOG.warn("Leader lost");
        }
        void elect() {
            LOG.info("LOOKING");
            LOG.info("New election round " + round);
        }
    }
    """)
RECIPE = dedent("""\
    name: ensemble
    log_format: "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n"
    component: class
    sessions: window
    window_s: 60
    roles:
      server: {instances: 3, port: 2181}
    fault_rate: 0
    start: "2015-07-29T17:41:00"
    stages:
      - name: start
        entry: Peer.start
        role: server
        thread: main
        delay_ms: {min: 0, max: 500}
      - name: heartbeat
        entry: Peer.tick
        role: server
        every_s: {min: 10, max: 30}
        thread: "Beat:{id}"
      - name: loss
        entry: Peer.lose
        role: server
        every_s: {min: 120, max: 300}
      - name: election
        entry: Peer.elect
        role: server
        after: loss
        fanout: others
        lines: ["^LOOKING$"]
        delay_ms: {min: 10, max: 2000}
    """)
LOOKING_LINE = 18  # the source line of LOG.info("LOOKING")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("ensemble")
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "Peer.java").write_text(PEER)
    (root / "recipe.yaml").write_text(RECIPE)
    return CodeSynthesizer(CodeGenConfig(recipe=root / "recipe.yaml")).fit(root / "src")


def shape(ds):
    """A data set's sessions as (id, [(timestamp, content), ...]), for comparing two samples."""
    return [(s.id, [(e.timestamp, e.content) for e in s.events]) for s in ds.sessions]


def _recipe_with(tmp_path, old: str, new: str):
    """The test recipe with one piece of text replaced, written to a file."""
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE.replace(old, new))
    return path


def test_windows_are_fixed_time_slices_per_instance_in_time_order(synth):
    ds = synth.sample(60, seed=3)
    assert len(ds.sessions) == 60
    start = min(e.timestamp for s in ds.sessions for e in s.events) / 1e6  # events are in microseconds
    origin = ds.sessions[0].attributes["window_start"] - ds.sessions[0].attributes["window"] * 60
    assert origin <= start
    keys = []
    for session in ds.sessions:
        host, window = re.fullmatch(r"(node-\d+)_w(\d{6})", session.id).groups()
        lo = origin + int(window) * 60
        stamps = [e.timestamp / 1e6 for e in session.events]
        assert stamps == sorted(stamps) and all(lo <= t < lo + 60 for t in stamps)
        assert {e.attributes["instance"].split(".")[0] for e in session.events} == {host}
        keys.append((int(window), host))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_start_up_runs_once_per_instance_and_periodic_stages_repeat(synth):
    ds = synth.sample(60, seed=3)
    lines = [e for s in ds.sessions for e in s.events]
    starts = [e for e in lines if e.content.startswith("Starting peer")]
    assert sorted(e.attributes["instance"] for e in starts) == sorted({e.attributes["instance"] for e in lines})
    beats = [e for e in lines if e.content.startswith("Heartbeat")]
    assert len(beats) > 3 * len(starts)
    assert {e.fields["Thread"] for e in beats} <= {"Beat:1", "Beat:2", "Beat:3"}


def test_a_triggered_stage_fans_out_to_the_other_instances_and_keeps_only_its_lines(synth):
    ds = synth.sample(120, seed=4)
    lines = sorted((e for s in ds.sessions for e in s.events), key=lambda e: e.timestamp)
    losses = [e for e in lines if e.content == "Leader lost"]
    looking = [e for e in lines if e.content == "LOOKING"]
    # both other servers look after each loss (the last loss's may fall past the end of the time line)
    assert losses and 2 * (len(losses) - 1) <= len(looking) <= 2 * len(losses)
    for event in looking:
        cause = [e for e in losses if 0 < event.timestamp - e.timestamp <= 2_000_001]  # microseconds
        assert cause and all(c.attributes["instance"] != event.attributes["instance"] for c in cause)
        assert event.fields["Line"] == str(LOOKING_LINE) and event.component == "Peer"
    assert not any(e.content.startswith("New election round") for e in lines)


def test_a_runs_own_address_is_its_instances_node_whatever_node_it_names_first(synth):
    ds = synth.sample(60, seed=3)
    address_of = {n.hostname: f"{n.ip}:2181" for n in synth._assembler(3).renderer.values.cluster}
    starts = [e for s in ds.sessions for e in s.events if e.content.startswith("Starting peer")]
    assert starts
    for event in starts:
        own = event.content.rsplit(" on /", 1)[1]
        assert own == address_of[event.attributes["instance"]]
        assert event.content.split()[2] != event.attributes["instance"], "the peer it names first is another node"


def test_same_seed_same_windows(synth):
    assert shape(synth.sample(40, seed=9)) == shape(synth.sample(40, seed=9))
    assert shape(synth.sample(40, seed=9)) != shape(synth.sample(40, seed=10))


def test_unknown_window_role_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="window_role"):
        load_recipe(_recipe_with(tmp_path, "window_s: 60", "window_s: 60\nwindow_role: client"))


def test_a_window_is_the_same_however_many_are_made(synth):
    assert shape(synth.sample(50, seed=2))[:17] == shape(synth.sample(17, seed=2))


def test_written_data_set_is_one_time_ordered_stream_of_the_same_windows(synth, tmp_path):
    from synthlog.io.logformat import read_raw
    from synthlog.io.loghub import read_labels

    summary = synth.write(tmp_path / "out", 40, seed=5)
    stamps = [e.timestamp for e in read_raw(tmp_path / "out" / "ensemble.log", "zookeeper", strict=True)]
    ds = synth.sample(40, seed=5)
    assert stamps == sorted(stamps) and len(stamps) == sum(len(s) for s in ds.sessions) == summary["lines"]
    assert list(read_labels(tmp_path / "out" / "anomaly_label.csv")) == [s.id for s in ds.sessions]


def test_a_stage_is_periodic_or_triggered_not_both(tmp_path):
    with pytest.raises(ConfigError, match="every_s"):
        load_recipe(_recipe_with(tmp_path, "    after: loss\n", "    after: loss\n    every_s: {min: 1, max: 2}\n"))


def test_a_window_stage_may_repeat_more_often_than_there_are_instances(tmp_path):
    path = _recipe_with(tmp_path, "    thread: main\n", "    thread: main\n    count: 7\n")
    assert load_recipe(path).stages[0].count == 7
