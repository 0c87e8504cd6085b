"""Value models (synthlog.values): what fit releases (k-anonymity, secret scan, no exact rare number), the shapes
sample keeps, entities, determinism and the spec round trip."""

import random

import numpy as np

from synthlog.stats.spec import Param
from synthlog.values import FitRules, fit, sample_column
from synthlog.values.model import ValueModel
from synthlog.values.shape import shape_class


def literals(model: ValueModel) -> set[str]:
    return {piece.text for pattern in model.patterns for piece in pattern.pieces if piece.text is not None}


def numbers(model: ValueModel) -> list[float]:
    return [q for pattern in model.patterns for piece in pattern.pieces if piece.number is not None
            for q in piece.number.quantiles]


def test_a_word_is_kept_verbatim_only_when_seen_in_k_sessions():
    values = ["LOOKING"] * 5 + ["FOLLOWING"] * 4
    sessions = [f"s{i}" for i in range(5)] + [f"t{i % 4}" for i in range(4)]
    model = fit(values, sessions, FitRules(min_sessions=5))
    assert "LOOKING" in literals(model) and "FOLLOWING" not in literals(model)
    drawn = sample_column(model, np.random.default_rng(1), 400).to_list()
    assert "FOLLOWING" not in drawn and {shape_class(v) for v in drawn} == {"a"}
    assert not any(v.startswith("value") and "_" in v for v in drawn)  # never a valueN_M placeholder


def test_a_secret_like_value_is_never_verbatim_however_common():
    for secret in ("db-prod-07", "jsmith42@corp.example.com", "AKIAIOSFODNN7EXAMPLE", "password=hunter2"):
        model = fit([secret] * 50, [f"s{i}" for i in range(50)])
        drawn = sample_column(model, np.random.default_rng(2), 50).to_list()
        assert secret not in drawn and all(secret not in text for text in literals(model))
        assert {shape_class(v) for v in drawn} == {shape_class(secret)}


def test_no_number_seen_in_fewer_than_k_sessions_is_published():
    rng = random.Random(3)
    values = [str(rng.randint(1000, 99999)) for _ in range(200)]
    model = fit(values, [f"s{i}" for i in range(200)])  # every value in one session only
    assert not set(numbers(model)) & {float(v) for v in values}
    port = fit(["8200"] * 3, ["a", "b", "c"])  # a single value in 3 < k sessions: only its digit count
    assert 8200.0 not in numbers(port) and numbers(port) == [1000.0, 9999.0]


def test_identifier_pattern_keeps_its_form_and_draws_fresh_characters():
    rng = random.Random(4)
    nodes = [f"R{rng.randint(0, 7):02d}-M{rng.randint(0, 1)}-N{rng.choice('0123456789ABCDEF')}-C:J"
             f"{rng.randint(2, 17):02d}-U{rng.choice(['01', '11'])}" for _ in range(300)]
    model = fit(nodes, [f"s{i % 60}" for i in range(300)])
    assert {"R", "-M", "-N", "-C:J", "-U"} <= literals(model)
    drawn = sample_column(model, np.random.default_rng(5), 300).to_list()
    assert {shape_class(v) for v in drawn} <= {shape_class(v) for v in nodes}
    assert all(len(v) == len(nodes[0]) for v in drawn)


def test_numbers_keep_units_hex_keeps_prefix_and_length():
    rng = random.Random(6)
    durations = fit([f"{rng.randint(1, 5000)}ms" for _ in range(100)], [f"s{i}" for i in range(100)])
    assert all(v.endswith("ms") and v[:-2].isdigit() for v in sample_column(durations, np.random.default_rng(7),
                                                                               100).to_list())
    hexes = fit([f"0x{rng.getrandbits(64):016x}" for _ in range(100)], [f"s{i}" for i in range(100)])
    drawn = sample_column(hexes, np.random.default_rng(8), 100).to_list()
    assert all(v.startswith("0x") and len(v) == 18 and int(v, 16) >= 0 for v in drawn)


def test_entities_repeat_within_a_session_and_across_the_run():
    rng = random.Random(9)
    nodes = [f"node{rng.randint(0, 9)}x{rng.randint(0, 9)}" for _ in range(20)]
    pairs = [(nodes[i % 20], f"s{i // 10}") for i in range(400)]  # 20 nodes, each session repeats lines
    model = fit([v for v, _ in pairs], [s for _, s in pairs])
    assert model.pool is not None and model.pool <= 20
    drawn = sample_column(model, np.random.default_rng(10), 2000).to_list()
    assert len(set(drawn)) <= model.pool
    names = [f"i-{rng.getrandbits(32):08x}" for _ in range(50)]
    instances = [(names[i], f"s{i}") for i in range(50) for _ in range(4)]  # one instance per session
    per_session = fit([v for v, _ in instances], [s for _, s in instances])
    assert per_session.scope == "session"
    owners = np.repeat(np.arange(50, dtype=np.uint64), 4)
    column = sample_column(per_session, np.random.default_rng(11), 200, owners=owners).to_list()
    assert all(len(set(column[4 * i:4 * i + 4])) == 1 for i in range(50)) and len(set(column)) > 40
    assert per_session.sample(np.random.default_rng(1), entity="web-1") == per_session.sample(
        np.random.default_rng(2), entity="web-1")


def test_sampling_is_seeded_and_models_survive_the_spec_yaml():
    model = fit([f"job_{i:04d}_m_{i % 7}" for i in range(100)], [f"s{i % 20}" for i in range(100)])
    a, b = (sample_column(model, np.random.default_rng(12), 50).to_list() for _ in range(2))
    assert a == b
    param = Param(kind="shape", shape=model)
    assert Param.model_validate(param.model_dump()) == param
