"""The shared LLM client against a real local chat-completions server: retries, timeouts, cache, concurrency."""

import json

import pytest

from chat_server import ChatServer, Reply
from synthlog.llm import DiskCache, LLMClient, LLMConfig, LLMError

MESSAGES = [{"role": "user", "content": "hello"}]


def client_for(server, tmp_path=None, **overrides):
    settings = {"timeout": 0.3, "max_retries": 3, "backoff": 0.01, "max_backoff": 0.05}
    settings.update(overrides)
    return LLMClient(LLMConfig(base_url=server.base_url, model="scripted", cache_dir=tmp_path, **settings))


def test_answer_and_request_shape():
    with ChatServer([Reply("hi there")]) as server:
        client = client_for(server)
        assert client.complete(MESSAGES) == "hi there"
    body = server.requests[0]
    assert body["model"] == "scripted" and body["messages"] == MESSAGES
    assert body["temperature"] == 0.0


@pytest.mark.parametrize("failure", [Reply(status=429), Reply(status=500), Reply(status=503),
                                     Reply("too late", delay=0.6)])
def test_retryable_failures_are_retried(failure):
    with ChatServer([failure, Reply("ok")]) as server:
        client = client_for(server)
        assert client.complete(MESSAGES) == "ok"
        assert client.stats.retries == 1 and client.stats.requests == 2
    assert len(server.requests) == 2


def test_retries_are_bounded_then_fail():
    with ChatServer(default=Reply(status=500)) as server:
        client = client_for(server, max_retries=2)
        with pytest.raises(LLMError, match="InternalServerError"):
            client.complete(MESSAGES)
        assert len(server.requests) == 3 and client.stats.failures == 1


def test_client_errors_are_not_retried():
    with ChatServer(default=Reply(status=400)) as server:
        client = client_for(server)
        with pytest.raises(LLMError):
            client.complete(MESSAGES)
    assert len(server.requests) == 1


def test_cache_makes_a_rerun_silent(tmp_path):
    with ChatServer([Reply("cached answer")]) as server:
        assert client_for(server, tmp_path).complete(MESSAGES) == "cached answer"
        second = client_for(server, tmp_path)
        assert second.complete(MESSAGES) == "cached answer"
        assert second.stats.cache_hits == 1 and second.stats.requests == 0
        assert len(server.requests) == 1
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["answer"] == "cached answer"
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_key_covers_model_messages_and_params(tmp_path):
    with ChatServer(default=Reply("x")) as server:
        client = client_for(server, tmp_path)
        keys = {client.cache_key(MESSAGES), client.cache_key(MESSAGES, temperature=0.5),
                client.cache_key([{"role": "user", "content": "other"}])}
        other_model = LLMClient(LLMConfig(base_url=server.base_url, model="other"))
        keys.add(other_model.cache_key(MESSAGES))
    assert len(keys) == 4


def test_complete_many_keeps_order_and_limits_concurrency():
    def echo(body):
        return Reply(body["messages"][0]["content"].upper(), delay=0.05)

    with ChatServer(default=echo) as server:
        client = client_for(server, concurrency=3)
        batch = [[{"role": "user", "content": f"m{i}"}] for i in range(8)]
        assert client.complete_many(batch) == [f"M{i}" for i in range(8)]
    assert len(server.requests) == 8
    assert 2 <= server.max_in_flight <= 3


def test_complete_many_reports_failures_in_place():
    def mixed(body):
        return Reply(status=400) if body["messages"][0]["content"] == "bad" else Reply("fine")

    with ChatServer(default=mixed) as server:
        answers = client_for(server).complete_many([MESSAGES, [{"role": "user", "content": "bad"}]])
    assert answers[0] == "fine" and isinstance(answers[1], LLMError)


def test_damaged_cache_entry_is_a_miss(tmp_path):
    cache = DiskCache(tmp_path)
    cache.put("abcdef", {"answer": "a"})
    assert cache.get("abcdef") == {"answer": "a"}
    (tmp_path / "ab" / "abcdef.json").write_text("{broken")
    assert cache.get("abcdef") is None and cache.get("missing") is None


def test_api_key_from_environment(monkeypatch):
    monkeypatch.setenv("SYNTHLOG_LLM_API_KEY", "secret-key")
    with ChatServer([Reply("ok")]) as server:
        client = client_for(server)
        assert client._client.api_key == "secret-key"
        client.complete(MESSAGES)
