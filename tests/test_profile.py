"""The profiler: what a spec keeps (kinds, rounded summaries, counts) and what it never keeps (raw values)."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.errors import InputError
from synthlog.privacy.values import KINDS, dataset_values, extract_values
from synthlog.records import LabeledDataset, LogEvent, Session, Template, micros_of
from synthlog.stats.profile import ProfileOptions, address_pool, load_logs, profile_dataset, scrub
from synthlog.stats.specfile import dump_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"


@pytest.fixture(scope="module")
def blockstore():
    return load_logs(EXAMPLES / "blockstore.log", log_format="hdfs", labels=EXAMPLES / "blockstore_labels.csv")


def test_spec_holds_no_raw_value(blockstore):
    spec, _ = profile_dataset(blockstore, name="bs")
    text = dump_spec(spec)
    real = dataset_values(blockstore)
    found = extract_values(text)
    assert all(real[kind] for kind in ("ip", "block_id", "path"))  # the input does have such values
    for kind in KINDS:
        assert not real[kind] & found[kind], kind
    # and no literal 64-bit number of the input survives as text anywhere in the spec
    numbers = {v.split("_")[-1] for v in real["block_id"]}
    assert not any(n in text for n in numbers)


def test_slot_kinds_and_summaries(blockstore):
    spec, _ = profile_dataset(blockstore, name="bs")
    messages = {m.template: m for _, m in spec.messages()}
    receiving = next(m for t, m in messages.items() if t.startswith("Receiving block"))
    kinds = {name: p.kind for name, p in receiving.params.items()}
    assert kinds["p1"] == "session"
    real_ips = dataset_values(blockstore)["ip"]
    pools = [p.values for p in receiving.params.values() if p.kind == "choice" and p.values
             and all(extract_values(v)["ip"] == {v} for v in p.values)]
    assert pools and len(pools[0]) == len(real_ips)  # as many made-up nodes as real ones
    real_nets = {ip.rsplit(".", 2)[0] for ip in real_ips}
    assert not {ip.rsplit(".", 2)[0] for ip in pools[0]} & real_nets
    ports = [p for name, p in receiving.params.items() if name.endswith("_port")]
    assert ports and all(p.kind == "shape" for p in ports)
    numbers = [piece.number for _, m in spec.messages() for p in m.params.values() if p.kind == "shape"
               for pattern in p.shape.patterns for piece in pattern.pieces if piece.number is not None]
    assert numbers and all(len(str(abs(int(q))).rstrip("0")) <= 2 for n in numbers if len(n.quantiles) > 2
                           for q in n.quantiles)  # quantiles: two significant digits at most


def test_sessions_and_anomaly_types(blockstore):
    spec, summary = profile_dataset(blockstore, name="bs", options=ProfileOptions(min_sessions=1))
    normal = [p for p in spec.sessions if p.anomaly_probability == 0]
    anomalous = [p for p in spec.sessions if p.anomaly_probability == 1.0]
    assert len(normal) == 1 and normal[0].id.prefix == "blk_" and normal[0].id.kind == "int64"
    assert normal[0].context_key == "block_id" and spec.label_column == "BlockId"
    assert len(anomalous) == len(summary.anomaly_types) - 1 >= 1
    assert summary.anomalous_sessions == sum(n for k, n in summary.anomaly_types.items() if k != "normal")
    assert abs(sum(normal[0].normal.start.values()) - 1.0) < 1e-6


def test_profile_is_seeded_and_noise_changes_counts(blockstore):
    spec_a = profile_dataset(blockstore, options=ProfileOptions(seed=1))[0]
    spec_b = profile_dataset(blockstore, options=ProfileOptions(seed=2))[0]
    exact_a = dump_spec(spec_a)
    assert exact_a == dump_spec(profile_dataset(blockstore, options=ProfileOptions(seed=1))[0])
    # without noise the seed only picks the made-up addresses: every count is the same
    assert [p.normal for p in spec_a.sessions] == [p.normal for p in spec_b.sessions]
    noisy_a = dump_spec(profile_dataset(blockstore, options=ProfileOptions(epsilon=1.0, seed=1))[0])
    noisy_a2 = dump_spec(profile_dataset(blockstore, options=ProfileOptions(epsilon=1.0, seed=1))[0])
    noisy_b = dump_spec(profile_dataset(blockstore, options=ProfileOptions(epsilon=1.0, seed=2))[0])
    assert noisy_a == noisy_a2
    assert noisy_a != noisy_b and noisy_a != exact_a
    assert "epsilon 1" in noisy_a


def test_bad_epsilon_and_inputs(blockstore, tmp_path):
    with pytest.raises(InputError, match="epsilon"):
        profile_dataset(blockstore, options=ProfileOptions(epsilon=0.0))
    shapeless = tmp_path / "notes.log"
    shapeless.write_text("no time here\nnor a level word\n")
    with pytest.raises(InputError, match="--format"):
        load_logs(shapeless)
    with pytest.raises(InputError, match="no session id"):
        load_logs(EXAMPLES / "blockstore.log", log_format="hdfs", session_pattern=r"req-\d+")
    with pytest.raises(InputError, match="bad session pattern"):
        load_logs(EXAMPLES / "blockstore.log", log_format="hdfs", session_pattern="(")


def test_address_pool_avoids_every_real_network():
    real = {f"172.{b}.0.1" for b in range(16, 32)} | {"10.0.3.4"}
    pool = address_pool(real, 300, seed=4)
    assert len(set(pool)) == 300 and all(ip.startswith("10.1.") for ip in pool)
    assert pool == address_pool(real, 300, seed=4)


def test_scrub_removes_values_keeps_words():
    text = scrub("Deleting /mnt/data/job_1/part on 10.1.2.3 for blk_-77 node n1.example.org:50010 id 12345678")
    assert text == "Deleting <*> on <*> for <*> node <*>:50010 id <*>"


def test_profile_of_a_loghub_structured_csv_keeps_no_raw_value():
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "hdfs" / "loghub_2k"
    if not folder.is_dir():
        pytest.skip("shared data not present")
    dataset = load_logs(folder / "HDFS_2k.log_structured.csv", labels=folder / "block_labels.csv")
    assert len(dataset) == 2200 and dataset.label_counts()["Anomaly"] == 69
    spec, summary = profile_dataset(dataset, name="hdfs2k")
    assert summary.events == 2000 and len(spec.messages()) >= 10
    real, found = dataset_values(dataset), extract_values(dump_spec(spec))
    assert not any(real[kind] & found[kind] for kind in KINDS)


octet = st.integers(min_value=0, max_value=255)
ips = st.tuples(octet, octet, octet, octet).map(lambda t: ".".join(map(str, t)))
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
lines = st.tuples(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), ips, st.integers(min_value=1024, max_value=65535),
    st.lists(words, min_size=2, max_size=4), st.integers(min_value=10**7, max_value=10**12), words)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines, min_size=3, max_size=12))
def test_no_value_of_any_input_reaches_the_spec(tmp_path, rows):
    log = tmp_path / "random.log"
    text = []
    for i, (block, ip, port, path, number, host) in enumerate(rows):
        blk = f"blk_{block}"
        stamp = f"261122 1015{i % 60:02d}"
        text += [f"{stamp} 7 INFO a.Store: Allocated block {blk} for /{'/'.join(path)} size {number}",
                 f"{stamp} 8 INFO a.Peer: Receiving block {blk} from /{ip}:{port} via {host}.lan:{port}",
                 f"{stamp} 9 WARN a.Peer: Lost {blk} on {ip} after {number} ms"]
    log.write_text("\n".join(text) + "\n")
    dataset = load_logs(log, log_format="hdfs")
    options = ProfileOptions(epsilon=2.0, seed=1, min_sessions=1)  # k = 1: only the secret scan holds values back
    spec_text = dump_spec(profile_dataset(dataset, options=options)[0])
    real, found = dataset_values(dataset), extract_values(spec_text)
    assert real["block_id"] and real["ip"]
    for kind in KINDS:
        assert not real[kind] & found[kind], kind


def test_min_count_drops_rare_templates(blockstore):
    every, frequent = (len(profile_dataset(blockstore, options=ProfileOptions(min_count=n, min_sessions=1))[0]
                           .messages()) for n in (1, 5))
    assert frequent < every


def test_template_only_sessions_get_guessed_slot_kinds():
    templates = {"a": Template("a", "Receiving block <*> src: /<*> dest: /<*>"),
                 "b": Template("b", "Received block <*> of size <*> from /<*>")}
    sessions = [Session.from_event_ids(f"blk_{i}", ["a", "b"]) for i in range(5)]
    spec, _ = profile_dataset(LabeledDataset("keys", sessions, templates))
    receiving = next(m for _, m in spec.messages() if m.template.startswith("Receiving"))
    assert receiving.template == "Receiving block <p1> src: /<p2>:<p2_port> dest: /<p3>:<p3_port>"
    assert receiving.params["p1"].kind == "session"
    assert len(receiving.params["p2"].values) == 64
    received = next(m for _, m in spec.messages() if m.template.startswith("Received"))
    size = received.params["p2"].shape.patterns[0].pieces[0].number
    assert received.params["p2"].kind == "shape" and size.quantiles[-1] > 1_000_000


def _written_then_deleted(blocks: int) -> LabeledDataset:
    """Blocks allocated, received within a second, and deleted about three hours later (a slow transition), plus
    a few blocks with a rare extra event in between."""
    templates = {"a": Template("a", "Allocated block <*>"), "r": Template("r", "Received block <*>"),
                 "x": Template("x", "Verified block <*>"), "d": Template("d", "Deleted block <*>")}
    sessions = []
    for i in range(blocks):
        block, t = f"blk_{1000 + i}", 1_700_000_000.0 + 7 * i
        extra = [("x", 1.0)] if i % 25 == 0 else []
        steps = [("a", 0.0), ("r", float(i % 2)), *extra, ("d", 10_800.0 + 60 * (i % 9))]
        events = []
        for key, gap in steps:
            t += gap
            events.append(LogEvent(content=templates[key].text.replace("<*>", block), timestamp=micros_of(t),
                                   template_id=key, level="INFO", component="dfs.DataNode"))
        sessions.append(Session(block, events))
    return LabeledDataset("slow", sessions, templates)


@pytest.mark.parametrize("epsilon", [None, 10.0])  # 200 sessions: at epsilon 1 the gap bins drown in noise
def test_a_long_gap_on_one_transition_survives_the_round_trip(epsilon):
    from synthlog.stats.simulate import StatsSynthesizer

    options = ProfileOptions(epsilon=epsilon, seed=3, max_session_lines=4)  # sessions of 3-4 lines: none is cut
    spec, _ = profile_dataset(_written_then_deleted(200), options=options)
    ids = {m.template.split()[0]: m.id for _, m in spec.messages()}
    model = spec.sessions[0].normal
    assert ids["Deleted"] in model.gaps[ids["Received"]]  # the slow transition has a histogram of its own
    assert ids["Verified"] not in model.gaps  # too rare (8 blocks): its gaps come from the pooled distribution
    assert max(model.gaps[ids["Allocated"]][ids["Received"]].values) <= 1.0
    long = model.gaps[ids["Received"]][ids["Deleted"]]
    assert long.dist == "empirical" and min(long.values) >= 10_800 and max(long.values) <= 11_400
    if epsilon is None:
        assert sum(long.weights) == 192  # one count per received -> deleted transition
    gaps: dict[tuple[str, str], list[float]] = {}
    for frame in StatsSynthesizer(spec).sample(duration="4h", seed=1):
        last: dict[str, tuple[float, str]] = {}
        for when, template, session in frame.select("timestamp", "template_id", "session_id").iter_rows():
            if session in last:
                gaps.setdefault((last[session][1], template), []).append(when.timestamp() - last[session][0])
            last[session] = (when.timestamp(), template)
    slow = gaps[(ids["Received"], ids["Deleted"])]
    assert len(slow) > 100 and all(10_800 <= g <= 11_400 for g in slow)
    assert all(g <= 1.0 for g in gaps[(ids["Allocated"], ids["Received"])])


def test_mined_pairs_become_observed_rules_that_never_fire_but_are_scored(blockstore, tmp_path):
    from synthlog.evaluate.fidelity import evaluate_fidelity, reference_from_spec
    from synthlog.io.datasets import load_directory
    from synthlog.stats.simulate import StatsSynthesizer

    spec, summary = profile_dataset(blockstore, name="bs")
    assert spec.causal and all(rule.observed for rule in spec.causal)
    assert {(r.when.message, r.then.message) for r in spec.causal} <= {(p["cause"], p["effect"])
                                                                       for p in summary.causal_pairs}
    assert all(r.lag is not None and r.lag.max >= r.lag.min for r in spec.causal)
    silent = spec.model_copy(update={"causal": []})
    for folder, which in (("with", spec), ("without", silent)):
        StatsSynthesizer(which).write(tmp_path / folder, n_lines=3000, seed=2, formats=("jsonl", "csv"))
    with_rules, without = ((tmp_path / f / "bs.jsonl").read_bytes() for f in ("with", "without"))
    assert with_rules == without  # recorded, not fired: no line is added
    reference = reference_from_spec(spec)
    assert not reference.causal_pairs and len(reference.observed_pairs) == len(spec.causal)
    report = evaluate_fidelity(spec, load_directory(tmp_path / "with"))
    assert report.details["causal_pairs"]["instances"] > 0 and report.details["C_temporal"] >= 0.5
    assert evaluate_fidelity(silent, load_directory(tmp_path / "with")).details["C_temporal"] is None


def test_untimed_pairs_are_observed_rules_without_a_lag():
    templates = {"a": Template("a", "Receiving block <*> src: /<*> dest: /<*>"),
                 "b": Template("b", "Received block <*> of size <*> from /<*>")}
    sessions = [Session.from_event_ids(f"blk_{i}", ["a", "b"]) for i in range(12)]
    spec, _ = profile_dataset(LabeledDataset("keys", sessions, templates))
    assert [(r.observed, r.lag) for r in spec.causal] == [(True, None)]
    assert spec.sessions[0].normal.gaps == {}  # no timestamps, no gaps
