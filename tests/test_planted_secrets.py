"""Planted secrets (tests/planted.py: 24 kinds, each in 1, 2 and 10 sessions) never reach a profiled spec or its
generated output, with or without noise; validate's leak scan finds every one of them put into an output on purpose."""

import pytest

from planted import KINDS, MULTIPLICITIES, write_corpus
from synthlog.evaluate.privacy import directory_files, leakage_check
from synthlog.privacy.values import RARE, dataset_values, files_values
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import dump_spec


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    log, planted = write_corpus(tmp_path_factory.mktemp("planted"))
    return log, planted, load_logs(log, log_format="hdfs")


def _generated(dataset, folder, epsilon=None):
    # the corpus' sessions hold 5-17 lines: a bound of 16 (not the default 32) leaves 150 sessions enough signal
    options = ProfileOptions(epsilon=epsilon, seed=1, max_session_lines=16)
    spec, _ = profile_dataset(dataset, name="planted", options=options)
    StatsSynthesizer(spec).write(folder, n_lines=3000, seed=1)
    return dump_spec(spec), [p.read_text() for p in directory_files(folder)]


@pytest.mark.parametrize("epsilon", [None, 1.0])
def test_no_planted_secret_reaches_the_spec_or_the_output(corpus, tmp_path, epsilon):
    log, planted, dataset = corpus
    assert len(KINDS) >= 20 and all(secret in log.read_text() for values in planted.values()
                                    for secret in values.values())
    spec_text, outputs = _generated(dataset, tmp_path / "out", epsilon)
    assert "Credential check" in spec_text  # the planted lines' templates are there (10 sessions), not their values
    leaked = sorted((kind, times) for kind, values in planted.items() for times, secret in values.items()
                    if secret in spec_text or any(secret in text for text in outputs))
    assert leaked == []


def _leaks(dataset, log, folder):
    real = dataset_values(dataset)
    real = {kind: values | files_values([log])[kind] for kind, values in real.items()}
    return leakage_check(real, files_values(directory_files(folder), rare=real[RARE]))


def test_validate_finds_every_planted_secret_put_into_an_output(corpus, tmp_path):
    log, planted, dataset = corpus
    folder = tmp_path / "out"
    _generated(dataset, folder)
    assert _leaks(dataset, log, folder).leaked_total == 0  # a clean output: no false alarm
    raw = next(folder.glob("*.log"))
    with raw.open("a") as fh:
        for values in planted.values():
            for secret in values.values():
                fh.write(f"2026-01-01 00:00:00.000000 INFO app: leaked {secret} here\n")
    found = _leaks(dataset, log, folder).leaked_values
    missed = sorted((kind, times) for kind, values in planted.items() for times, secret in values.items()
                    if not any(value in secret and len(value) >= 6 for value in found))
    assert missed == [] and len(MULTIPLICITIES) == 3
