"""The secret scan (synthlog.privacy.secrets), template token stand-ins, rare-token leaks and value shape agreement."""

from pathlib import Path

import numpy as np

from synthlog.evaluate.privacy import leakage_check
from synthlog.evaluate.values import value_shape_agreement
from synthlog.privacy.secrets import find_secrets, is_secret_like, scan_whole, synthetic_token
from synthlog.privacy.values import RARE, dataset_values, extract_values
from synthlog.records import NORMAL, LabeledDataset, LogEvent, Session, Template
from synthlog.stats.slots import TokenScrubber
from synthlog.values.shape import shape_class

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {
    "email": "ops.team@example.com", "url_credentials": "https://admin:s3cr3t@db.example.com/x",
    "credential": "password=hunter2", "ipv4": "52.14.7.201", "ipv6": "2001:db8:85a3::8a2e:370:7334",
    "mac": "00:1A:2B:3C:4D:5E", "hostname": "vault.internal.example.org",
    "long_hex": "9f86d081884c7d659a2feaa0c55ad015",
    "AWS Access Key": "AKIAIOSFODNN7EXAMPLE", "JSON Web Token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123_-x",
    "letters_digits": "R02-M1-N0-C:J12-U11",
}


def test_each_class_is_found():
    for kind, secret in SECRETS.items():
        assert kind in find_secrets(f"line with {secret} inside"), kind


def test_plain_log_words_are_not_secrets():
    for text in ("Receiving block src dest", "org.apache.hadoop.dfs.DataNode", "java.io.IOException: reset",
                 "PacketResponder 1 for block terminating", "IPv4 64MB 250ms",
                 "link up, 100Mbps, 12KB/s", "dfs.data.dir job.jar"):
        assert not is_secret_like(text), text


def test_stand_ins_keep_the_shape_and_never_the_value():
    rng = np.random.default_rng(0)
    for secret in SECRETS.values():
        assert secret not in synthetic_token(secret, rng)
    assert synthetic_token("52.14.7.201", rng).startswith("203.0.113.")
    assert synthetic_token("2001:db8:85a3::8a2e:370:7334", rng).startswith("2001:db8:")
    node = synthetic_token("R02-M1-N0-C:J12-U11", rng)
    assert shape_class(node) == shape_class("R02-M1-N0-C:J12-U11") and len(node) == 19


def test_template_tokens_are_replaced_consistently_and_slots_kept():
    scrub = TokenScrubber(seed=1)
    first = scrub("Login with AKIAIOSFODNN7EXAMPLE from <p1> as password=<p2>")
    assert "AKIAIOSFODNN7EXAMPLE" not in first and "<p1>" in first and "password=<p2>" in first
    assert scrub("Key AKIAIOSFODNN7EXAMPLE again").split()[1] == first.split()[2]
    assert scrub("Receiving block <p1> src: /<p2>") == "Receiving block <p1> src: /<p2>"


def _dataset(lines: list[tuple[str, str]], templates: dict[str, str] | None = None) -> LabeledDataset:
    sessions: dict[str, Session] = {}
    for sid, content in lines:
        sessions.setdefault(sid, Session(id=sid, label=NORMAL)).events.append(LogEvent(content=content,
                                                                                          template_id="T1"))
    return LabeledDataset("d", list(sessions.values()), {k: Template(k, v) for k, v in (templates or {}).items()})


def test_a_token_seen_in_fewer_than_k_sessions_is_a_leak_wherever_it_appears():
    lines = [(f"s{i}", "Served chunk from rack-alpha") for i in range(6)] + [("s0", "Served chunk from rackbeta")]
    real = dataset_values(_dataset(lines), min_sessions=5)
    assert "rackbeta" in real[RARE] and "rack-alpha" not in real[RARE]
    output = extract_values("x rack-alpha y rackbeta z", rare=real[RARE])
    assert leakage_check(real, output).leaked[RARE] == ["rackbeta"]


def test_value_shape_agreement_compares_slot_shapes_on_reference_templates():
    template = {"T1": "Opened <*> on <*>"}
    real = _dataset([(f"s{i}", f"Opened file{i}.txt on 10.0.0.{i}") for i in range(20)], template)
    same = _dataset([(f"g{i}", f"Opened abcde{i + 7}.txt on 172.16.0.{i}") for i in range(10)], template)
    wrong = _dataset([(f"g{i}", f"Opened {i} on host") for i in range(10)], template)
    assert value_shape_agreement(real, same)["value_shape_agreement"] == 1.0
    assert value_shape_agreement(real, wrong)["value_shape_agreement"] == 0.0


def test_the_token_scan_finds_what_a_whole_text_scan_finds(tmp_path):
    from planted import write_corpus

    log, _ = write_corpus(tmp_path)
    spanning = ("login password = hunter2 ok\nkey header -----BEGIN RSA PRIVATE KEY----- here\n"
                "aws key is 'AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12' now\n"
                "fetch https://admin:pa,ss@db.example.com/x done\nplain 10.1.2.3:50010 and R02-M1-N0-C:J12-U11\n")
    for text in (log.read_text(), (ROOT / "examples/logs/blockstore.log").read_text(), spanning):
        assert find_secrets(text) == scan_whole(text, detectors=True)
        assert find_secrets(text, detectors=False) == scan_whole(text, detectors=False)
    assert "password = hunter2" in find_secrets(spanning)["credential"]
    assert "Private Key" in find_secrets(spanning)
