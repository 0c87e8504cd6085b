"""A real local HTTP server speaking the OpenAI chat-completions protocol, with scripted answers (test fixture).

Usage::

    with ChatServer([Reply("first answer"), Reply(status=429), Reply("late", delay=0.5)]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")
        ...
        assert len(server.requests) == 3        # every request that reached the server, as parsed JSON
    server.max_in_flight                    # the most requests it was answering at one time

Replies are served in order; when the script runs out, ``default`` (a callable of the request body returning a
Reply, or a Reply) answers. ``Reply(status=...)`` sends an HTTP error, ``delay`` sleeps before answering (to
trigger client timeouts), ``raw`` sends a body verbatim.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None
    status: int = 200
    delay: float = 0.0
    raw: str | None = None


class ChatServer:
    """Serves ``POST /v1/chat/completions`` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, script: Iterable[Reply] = (), default: Reply | Callable[[dict[str, Any]], Reply] | None = None):
        self._script = list(script)
        self._default = default
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self._script:
                return self._script.pop(0)
        if callable(self._default):
            return self._default(body)
        if self._default is not None:
            return self._default
        return Reply(status=500, raw=json.dumps({"error": {"message": "script exhausted"}}))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = owner._next_reply(body)
                if reply.delay:
                    time.sleep(reply.delay)
                with owner._lock:
                    owner.in_flight -= 1
                if reply.raw is not None:
                    payload = reply.raw
                elif reply.status != 200:
                    payload = json.dumps({"error": {"message": f"scripted {reply.status}", "type": "scripted"}})
                else:
                    payload = json.dumps({
                        "id": f"chatcmpl-{len(owner.requests)}", "object": "chat.completion", "created": 0,
                        "model": body.get("model", "scripted"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply.content}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })
                data = payload.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test); nothing to tell it

        return Handler
