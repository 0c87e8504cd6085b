"""Other wordings of messages: hand-written variants, and --paraphrase against a real local chat server."""

import csv
import json
import os
import subprocess
import sys

from chat_server import ChatServer, Reply
from synthlog.io.loghub import read_templates
from synthlog.llm import LLMClient, LLMConfig
from synthlog.stats.paraphrase import paraphrase_spec
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import spec_problems_in_text

SPEC = """\
name: worded
services:
  - name: api
    rate: 50
    flow: [hello, bye]
    messages:
      - id: hello
        template: "user <user> logged in from <*>"
        params: {user: [ann, bob]}
        variants: ["login of <user> from <*>", "session opened for <user> (<*>)"]
      - {id: bye, template: "request done"}
"""
VARIANTS = '        variants: ["login of <user> from <*>", "session opened for <user> (<*>)"]\n'


def test_each_line_picks_a_wording_and_keeps_its_slots(tmp_path):
    spec, problems = spec_problems_in_text(SPEC)
    assert problems == []
    StatsSynthesizer(spec).write(tmp_path, n_lines=3000, seed=1)
    rows = list(csv.DictReader((tmp_path / "worded.log_structured.csv").read_text().splitlines()))
    by_id: dict[str, set[str]] = {}
    for row in rows:
        by_id.setdefault(row["EventId"], set()).add(row["EventTemplate"])
    assert by_id == {"hello": {"user <*> logged in from <*>"}, "hello~1": {"login of <*> from <*>"},
                     "hello~2": {"session opened for <*> (<*>)"}, "bye": {"request done"}}
    counts = {k: sum(r["EventId"] == k for r in rows) for k in by_id}
    assert min(counts["hello"], counts["hello~1"], counts["hello~2"]) > 300  # equal chances
    templates = read_templates(tmp_path / "worded.log_templates.csv")
    assert {k: t.occurrences for k, t in templates.items()} == counts
    assert all(r["Content"].split()[-1] != "<*>" for r in rows)


def test_a_variant_with_other_slots_is_refused_with_its_line():
    text = SPEC.replace('"login of <user> from <*>"', '"login from <*>"')
    spec, problems = spec_problems_in_text(text)
    assert spec is None
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "variants:" in t)
    assert [(p.field, p.line) for p in problems] == [("services.0.messages.0.variants", line)]
    assert "same order" in problems[0].message


def rewordings(body):
    """A model that offers a good rewording, the template itself, one that lost a slot, and a second good one."""
    template = body["messages"][-1]["content"].split("Template: ", 1)[1]
    words = ["Note: " + template, template, template.replace("<user>", "someone"), "Again: " + template]
    return Reply("```json\n" + json.dumps(words) + "\n```")


def test_paraphrase_keeps_only_wordings_with_the_same_slots(tmp_path):
    spec, _ = spec_problems_in_text(SPEC.replace(VARIANTS, ""))
    assert spec.service("api").messages[0].variants == []
    with ChatServer(default=rewordings) as server:
        client = LLMClient(LLMConfig(base_url=server.base_url, model="m", cache_dir=tmp_path / "cache"))
        worded, report = paraphrase_spec(spec, client, variants=2)
        assert len(server.requests) == 2
        again, _ = paraphrase_spec(spec, client, variants=2)  # a rerun is answered from the cache
        assert len(server.requests) == 2 and again == worded
    prompt = next(r["messages"][-1]["content"] for r in server.requests if "logged in" in str(r))  # any order
    assert "Template: user <user> logged in from <*>" in prompt and "(<user> <*>)" in prompt
    hello = worded.service("api").messages[0]
    assert hello.variants == ["Note: user <user> logged in from <*>", "Again: user <user> logged in from <*>"]
    assert worded.service("api").messages[1].variants == ["Note: request done", "Again: request done"]
    assert (report.kept, report.refused, report.failed, report.unreadable) == (4, 4, 0, 0)
    with ChatServer(default=rewordings) as other:  # another endpoint's answers are its own, never replayed
        client = LLMClient(LLMConfig(base_url=other.base_url, model="m", cache_dir=tmp_path / "cache"))
        paraphrase_spec(spec, client, variants=2)
    assert len(other.requests) == 2


def test_cli_paraphrase_needs_an_endpoint(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    out = subprocess.run([sys.executable, "-m", "synthlog", "generate", "stats", str(path), "--lines", "10",
                          "--out", str(tmp_path / "out"), "--paraphrase", "2"], capture_output=True, text=True)
    assert out.returncode == 2 and "--llm-url" in out.stderr


def test_cli_paraphrase_end_to_end(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    with ChatServer(default=rewordings) as server:
        out = subprocess.run([sys.executable, "-m", "synthlog", "generate", "stats", str(path), "--lines", "500",
                              "--out", str(tmp_path / "out"), "--paraphrase", "1", "--llm-url", server.base_url,
                              "--llm-model", "m"], capture_output=True, text=True,
                             env={**os.environ, "SYNTHLOG_CACHE_DIR": str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    templates = read_templates(tmp_path / "out" / "worded.log_templates.csv")
    assert "Note: request done" in {t.text for t in templates.values()}
