"""Where a stream of generated events goes when it is not a data set folder: standard output, a syslog server
(RFC 5424 over UDP or TCP) or an OpenTelemetry collector (OTLP/HTTP JSON), optionally paced to a line rate.

Targets, as given to ``--out``:

- ``-``: standard output, one event per line in the chosen format (``otel``: one OTLP/JSON export request per line;
  ``jsonl``: the event record of :mod:`synthlog.io.jsonl` with its session id);
- ``syslog://HOST:PORT`` or ``syslog+udp://HOST:PORT`` (one datagram per message), ``syslog+tcp://HOST:PORT``
  (octet-counted frames, RFC 6587);
- ``otlp+http://HOST:PORT[/PATH]`` (POST to ``/v1/logs`` unless a path is given, batches of ``batch`` records).
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import IO
from urllib.parse import urlsplit

from synthlog.errors import InputError
from synthlog.io.jsonl import event_to_dict
from synthlog.io.otel import export_line, export_request
from synthlog.records import LogEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

STREAM_FORMATS = ("otel", "jsonl")
# syslog severities (RFC 5424 table 2) of the usual level words; facility 1 (user-level messages)
SYSLOG_SEVERITY = {"FATAL": 2, "CRITICAL": 2, "ERROR": 3, "SEVERE": 3, "WARN": 4, "WARNING": 4, "NOTICE": 5,
                   "INFO": 6, "DEBUG": 7, "TRACE": 7}
FACILITY = 1
_NIL = "-"


class Pacer:
    """Holds a stream to ``rate`` events per second: event ``i`` is released at ``start + i / rate``, so the long-run
    rate is exact whatever each send costs (a slow send is caught up, never averaged away)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if not rate > 0 or rate == float("inf"):
            raise InputError(f"a rate is a positive number of lines per second (got {rate})", field="--rate")
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self.start: float | None = None
        self.sent = 0

    def wait(self) -> None:
        now = self.clock()
        if self.start is None:
            self.start = now
        due = self.start + self.sent / self.rate
        if due > now:
            self.sleep(due - now)
        self.sent += 1


class Sink:
    """Receives events one by one; :meth:`close` flushes whatever is buffered."""

    def send(self, event: LogEvent, session_id: str | None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing is buffered by default."""

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StreamSink(Sink):
    """One event per line on a text stream (standard output)."""

    def __init__(self, stream: IO[str], fmt: str, service: str):
        if fmt not in STREAM_FORMATS:
            raise InputError(f"a stream is written as one of {', '.join(STREAM_FORMATS)} (got {fmt!r})",
                             field="--formats")
        self.stream, self.fmt, self.service = stream, fmt, service

    def send(self, event: LogEvent, session_id: str | None) -> None:
        if self.fmt == "otel":
            line = export_line([(event, session_id)], self.service)
        else:
            line = json.dumps({"session_id": session_id, **event_to_dict(event)}, ensure_ascii=False,
                              separators=(",", ":"))
        self.stream.write(line + "\n")

    def close(self) -> None:
        self.stream.flush()


def syslog_message(event: LogEvent, app_name: str, hostname: str = _NIL) -> bytes:
    """The RFC 5424 message of an event: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG``; the template id is
    the MSGID, the message body is UTF-8 behind a BOM as the RFC asks."""
    severity = SYSLOG_SEVERITY.get((event.level or "INFO").upper(), 6)
    stamp = _NIL
    if event.timestamp is not None:
        stamp = (_EPOCH + timedelta(microseconds=event.timestamp)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    def token(text: str | None, width: int) -> str:  # printable US-ASCII without spaces, bounded (RFC 5424 6.2)
        cleaned = "".join(c for c in (text or "") if 33 <= ord(c) <= 126)[:width]
        return cleaned or _NIL

    header = (f"<{FACILITY * 8 + severity}>1 {stamp} {token(hostname, 255)} {token(app_name, 48)} "
              f"{token(event.fields.get('Pid'), 128)} {token(event.template_id, 32)} {_NIL} ")
    return header.encode("ascii") + b"\xef\xbb\xbf" + event.content.encode("utf-8")


class SyslogSink(Sink):
    """RFC 5424 messages to a syslog server over UDP (one datagram each) or TCP (octet counting, RFC 6587)."""

    def __init__(self, host: str, port: int, transport: str, app_name: str):
        self.app_name, self.transport = app_name, transport
        try:
            if transport == "tcp":
                self.sock = socket.create_connection((host, port), timeout=10)
            else:
                self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
                self.sock.connect((host, port))
        except OSError as exc:
            raise InputError(f"cannot reach the syslog server ({exc.strerror or exc})", field="--out") from None

    def send(self, event: LogEvent, session_id: str | None) -> None:
        message = syslog_message(event, self.app_name, event.fields.get("Node") or _NIL)
        if self.transport == "tcp":
            self.sock.sendall(str(len(message)).encode("ascii") + b" " + message)
        else:
            self.sock.send(message)

    def close(self) -> None:
        self.sock.close()


class OtlpHttpSink(Sink):
    """Batches of records POSTed as OTLP/JSON to an OpenTelemetry collector's HTTP receiver."""

    def __init__(self, url: str, service: str, batch: int = 100, timeout: float = 10.0):
        self.url, self.service, self.batch, self.timeout = url, service, batch, timeout
        self.pending: list[tuple[LogEvent, str | None]] = []

    def send(self, event: LogEvent, session_id: str | None) -> None:
        self.pending.append((event, session_id))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        body = json.dumps(export_request(self.pending, self.service), separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            raise InputError(f"the OTLP endpoint answered HTTP {exc.code}", path=self.url) from None
        except (urllib.error.URLError, OSError) as exc:
            raise InputError(f"cannot reach the OTLP endpoint ({getattr(exc, 'reason', exc)})", path=self.url) from None
        self.pending = []

    def close(self) -> None:
        self.flush()


STREAM_SCHEMES = ("syslog", "syslog+udp", "syslog+tcp", "otlp+http")


def is_stream_target(target: str) -> bool:
    """Whether ``--out`` names a stream (``-`` or a sink URL: syslog://, syslog+udp://, syslog+tcp://,
    otlp+http://) rather than a data set folder; any other URL (``file://``, ``memory://``, ``s3://``) is
    storage, written through fsspec (:mod:`synthlog.io.remote`)."""
    if target == "-":
        return True
    scheme, separator, _ = target.partition("://")
    return bool(separator) and scheme.lower() in STREAM_SCHEMES


def open_sink(target: str, fmt: str, service: str) -> Sink:
    """The sink for an ``--out`` target (see the module docstring)."""
    if target == "-":
        return StreamSink(sys.stdout, fmt, service)
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise InputError(f"{target!r} needs a host and a port (e.g. syslog://127.0.0.1:514)", field="--out")
    if scheme in ("syslog", "syslog+udp", "syslog+tcp"):
        return SyslogSink(host, port, "tcp" if scheme == "syslog+tcp" else "udp", service)
    if scheme == "otlp+http":
        path = parts.path if parts.path not in ("", "/") else "/v1/logs"
        bracketed = f"[{host}]" if ":" in host else host
        return OtlpHttpSink(f"http://{bracketed}:{port}{path}", service)
    raise InputError(f"unknown stream target {target!r} (use -, syslog://, syslog+tcp:// or otlp+http://)",
                     field="--out")
