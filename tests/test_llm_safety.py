"""LLM answers are untrusted: against a real local chat server, no answer can inject a line or hide text, one
endpoint's answers never answer for another, bad or huge answers are never cached, and a dead endpoint stops the
run unless failures are allowed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chat_server import ChatServer, Reply
from synthlog.code.records import ExecutionPath, PathStep, Statement
from synthlog.llm import LLMClient, LLMConfig, LLMError, LLMUnavailable, unsafe_character
from synthlog.stats.paraphrase import paraphrase_spec
from synthlog.stats.specfile import spec_problems_in_text
from synthlog.synth.checking import CachingChecker, CheckContext, LLMChecker, reason_code

ROOT = Path(__file__).resolve().parents[1]
SPEC = """\
name: worded
services:
  - name: api
    rate: 50
    flow: [hello]
    messages:
      - {id: hello, template: "user <user> logged in", params: {user: [ann, bob]}}
"""
# one of each kind a hostile endpoint used to smuggle whole log lines or hidden text through
UNSAFE = {"LF": "\n", "CR": "\r", "VT": "\x0b", "FF": "\x0c", "FS": "\x1c", "GS": "\x1d", "RS": "\x1e",
          "ESC": "\x1b", "NUL": "\x00", "TAB": "\t", "NEL": "\x85", "LINE SEPARATOR": "\u2028",
          "PARAGRAPH SEPARATOR": "\u2029", "ZERO WIDTH SPACE": "\u200b", "RIGHT-TO-LEFT OVERRIDE": "\u202e",
          "BYTE ORDER MARK": "\ufeff", "SOFT HYPHEN": "\xad"}
STATEMENT = Statement("S1", "D.java", 10, 10, "D", "run", "INFO", "Receiving block <*> from <*>", ["b", "src"])
CONTEXT = CheckContext(statements={"S1": STATEMENT}, sources={}, system="HDFS")
PATH = ExecutionPath("p1", "D.run", [PathStep("log", statement="S1", line=10)])


def _spec():
    spec, problems = spec_problems_in_text(SPEC)
    assert not problems
    return spec


def _client(server, cache=None, **settings):
    base = {"timeout": 2.0, "max_retries": 0, "backoff": 0.01, "max_backoff": 0.02}
    return LLMClient(LLMConfig(base_url=server.base_url, model="m", cache_dir=cache, **{**base, **settings}))


def _path_answer(values):
    return json.dumps({"reasoning": "fine", "feasible": True, "confidence": 0.9,
                       "lines": [{"index": 0, "statement": "S1", "values": values}]})


def test_plain_text_and_spaces_are_safe():
    assert unsafe_character("user ann logged in, 10.0.0.1:50010 — ok ü 中") is None


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_a_paraphrase_with_an_unsafe_character_is_refused_and_not_cached(tmp_path, name):
    forged = f"user <user> logged in{UNSAFE[name]}081109 203615 148 INFO fake: injected <user>"
    answer = json.dumps([forged, "login by <user>"])
    with ChatServer(default=Reply(answer)) as server:
        worded, report = paraphrase_spec(_spec(), _client(server, tmp_path), variants=2)
        assert worded.service("api").messages[0].variants == ["login by <user>"]
        assert report.refused == 1
        paraphrase_spec(_spec(), _client(server, tmp_path), variants=2)
        assert len(server.requests) == 2  # an answer holding an unsafe wording is asked again, not replayed


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_a_proposed_value_with_an_unsafe_character_is_dropped(name):
    values = ["blk_1", f"10.0.0.1{UNSAFE[name]}081109 203615 148 INFO fake: injected"]
    with ChatServer(default=Reply(_path_answer(values))) as server:
        verdict = LLMChecker(_client(server), prefilter=None).check(PATH, CONTEXT)
    assert verdict.feasible and not verdict.values
    assert reason_code(verdict.reasons[0]) == "llm-dropped-values"
    assert f"U+{ord(UNSAFE[name]):04X}" in verdict.reasons[0]


def test_answers_are_keyed_by_endpoint_model_and_prompt(tmp_path):
    with ChatServer(default=Reply("from one")) as one, ChatServer(default=Reply("from two")) as two:
        assert _client(one, tmp_path).complete([{"role": "user", "content": "hi"}]) == "from one"
        assert _client(two, tmp_path).complete([{"role": "user", "content": "hi"}]) == "from two"
        assert _client(one, tmp_path).complete([{"role": "user", "content": "hi"}]) == "from one"
        assert (len(one.requests), len(two.requests)) == (1, 1)
        checkers = [LLMChecker(_client(s)).fingerprint for s in (one, two)]
        assert checkers[0] != checkers[1]  # the verdict cache keys on the endpoint too


def test_unreadable_answers_are_not_cached(tmp_path):
    with ChatServer(default=Reply("I cannot help with that")) as server:
        for _ in range(2):
            LLMChecker(_client(server, tmp_path), prefilter=None, max_repairs=0).check(PATH, CONTEXT)
            paraphrase_spec(_spec(), _client(server, tmp_path), variants=1)
        assert len(server.requests) == 4
    assert not list(tmp_path.rglob("*.json"))


def test_an_oversized_answer_is_an_error_and_never_stored(tmp_path):
    huge = json.dumps(["login by <user> " + "x" * 100_000])
    with ChatServer(default=Reply(huge)) as server, \
            pytest.raises(LLMError, match=f"an answer of {len(huge):,} characters, above the cap of 65,536"):
        _client(server, tmp_path).complete([{"role": "user", "content": "hi"}])
    assert not list(tmp_path.rglob("*.json"))


def test_a_failed_request_stops_the_checker_unless_failures_are_allowed(tmp_path):
    with ChatServer(default=Reply(status=400)) as server:
        with pytest.raises(LLMUnavailable, match=r"1 of 1 requests to .* failed .*--allow-llm-failures"):
            LLMChecker(_client(server), prefilter=None, allow_failures=False).check(PATH, CONTEXT)
        cached = CachingChecker(LLMChecker(_client(server), prefilter=None), tmp_path)
        assert reason_code(cached.check(PATH, CONTEXT).reasons[0]) == "llm-error"
        cached.check(PATH, CONTEXT)
        assert cached.hits == 0 and len(server.requests) == 3  # a failure is no verdict: never replayed


def _cli(*args, cache):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SYNTHLOG_CACHE_DIR": str(cache)})


def test_a_dead_endpoint_is_a_non_zero_exit_unless_allowed(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    with ChatServer(default=Reply(status=400)) as server:
        common = ["generate", "stats", str(spec), "--lines", "20", "--paraphrase", "1", "--llm-url",
                  server.base_url, "--llm-model", "m"]
        refused = _cli(*common, "--out", str(tmp_path / "a"), cache=tmp_path / "cache")
        allowed = _cli(*common, "--allow-llm-failures", "--out", str(tmp_path / "b"), cache=tmp_path / "cache")
        code = _cli("generate", "code", str(ROOT / "examples/blockstore/src"), "--entry", "auto", "-n", "5",
                    "--checker", "llm", "--llm-url", server.base_url, "--llm-model", "m",
                    "--out", str(tmp_path / "c"), cache=tmp_path / "cache")
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith(f"error: --llm-url: 1 of 1 requests to {server.base_url} failed")
    assert not (tmp_path / "a").exists()
    assert allowed.returncode == 0 and "1 failed requests" in allowed.stderr
    assert code.returncode == 2 and "--allow-llm-failures" in code.stderr and "Traceback" not in code.stderr
    assert not (tmp_path / "c").exists()
