"""Real values named in log text: addresses, block ids, paths, hosts, long numbers, secret-like values and rare
tokens (seen in fewer than k sessions), found in data sets and in files. The profiler withholds them; the validator's
leak scan (:mod:`synthlog.evaluate.privacy`) looks for them in what a generator wrote."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from synthlog.errors import InputError
from synthlog.privacy.secrets import find_secrets
from synthlog.records import LabeledDataset

VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "ip": re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)"),
    "block_id": re.compile(r"blk_-?\d+"),
    "path": re.compile(r"(?<![\w:/.])(?:/[\w.$-]+){2,}"),
    "host": re.compile(r"\b[A-Za-z][\w-]*(?:\.[A-Za-z0-9-]+)+(?=:\d{2,5}\b)"),
    # 7+ digits, so the yymmdd/hhmmss columns of log headers are not taken for values
    "long_number": re.compile(r"(?<![\w.-])-?\d{7,}(?![\w.])"),
}
SECRET, RARE = "secret", "rare_token"
KINDS = (*VALUE_PATTERNS, SECRET, RARE)
MIN_SESSIONS = 5  # k: a real token seen in fewer sessions is one nobody else could have written
_MAX_FILE_BYTES = 512 * 1024 * 1024
_LEAK_TOKEN = re.compile(r"[^\s,;\"'()\[\]{}<>|`]+")
MIN_TOKEN_LENGTH = 6  # shorter tokens coincide by chance


def leak_tokens(text: str) -> set[str]:
    """The tokens of ``text`` that the rare-token rule looks at: 6+ characters with a letter (numbers, times and
    dates are kinds of their own or coincide by chance)."""
    return {kept for token in set(_LEAK_TOKEN.findall(text)) if (kept := _leak_token(token))}


@lru_cache(maxsize=1 << 18)
def _leak_token(token: str) -> str:
    token = token.strip(".:=")
    return token if len(token) >= MIN_TOKEN_LENGTH and any(c.isalpha() for c in token) else ""


def extract_values(text: str, rare: set[str] | None = None, secrets: bool | str = True,
                   seen: set[str] | None = None) -> dict[str, set[str]]:
    """The parameter values of each kind found in ``text`` (addresses must be valid IPv4; paths lose a trailing dot),
    its secret-like values (``secrets``; ``"bulk"``: without the detect-secrets detectors, see
    :func:`synthlog.privacy.secrets.find_secrets`) and the tokens of ``rare`` it holds. Each distinct token is
    looked at once (no value kind spans white space or ``,;"'()[]{}<>|``); ``seen``: tokens already looked at by
    the caller (skipped, and the new ones added)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    tokens = set(_VALUE_TOKEN.findall(text))
    if seen is not None:
        tokens -= seen
        seen |= tokens
    for token in tokens:
        for kind, value in _token_values(token):
            found[kind].add(value)
    if secrets:
        known = set().union(*(found[kind] for kind in VALUE_PATTERNS))  # a value is reported under one kind
        found[SECRET] = set().union(*find_secrets(text, detectors=secrets != "bulk", tokens=tokens).values()) - known
    if rare:  # a rare token passed the leak-token rule already: test membership first, the rule only on a hit
        found[RARE] = {kept for token in set(_LEAK_TOKEN.findall(text))
                       if token.strip(".:=") in rare and (kept := _leak_token(token))}
    return found


_VALUE_TOKEN = re.compile(r"[^\s,;\"'()\[\]{}<>|]+")


@lru_cache(maxsize=1 << 18)
def _token_values(token: str) -> tuple[tuple[str, str], ...]:
    """The (kind, value) pairs of :data:`VALUE_PATTERNS` in one token."""
    found = []
    for kind, pattern in VALUE_PATTERNS.items():
        for match in pattern.findall(token):
            if kind == "ip":
                try:
                    ipaddress.IPv4Address(match)
                except ValueError:
                    continue
            found.append((kind, match.rstrip(".") if kind == "path" else match))
    return tuple(found)


def _merge(into: dict[str, set[str]], more: dict[str, set[str]]) -> None:
    for kind, values in more.items():
        into[kind] |= values


def dataset_values(dataset: LabeledDataset, secrets: bool = True,
                   min_sessions: int | None = MIN_SESSIONS) -> dict[str, set[str]]:
    """Parameter values in a data set's messages, parameters, header fields, components and session ids; with
    ``secrets`` also its secret-like values, with ``min_sessions`` its rare tokens (in fewer sessions)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    sessions_of: dict[str, int] = {}
    batch: list[str] = []  # sessions scanned together: one scan of a large text costs less than many small ones
    for i, session in enumerate(dataset.sessions):
        texts = [session.id]
        for event in session.events:
            texts.append(event.content)
            texts.extend(event.parameters)
            texts.extend(str(v) for v in event.fields.values())
            texts.append(event.component or "")
        text = "\n".join(texts)
        batch.append(text)
        if len(batch) >= 512 or i == len(dataset.sessions) - 1:
            _merge(found, extract_values("\n".join(batch), secrets=secrets))
            batch = []
        if min_sessions is not None:
            for token in leak_tokens(text):
                sessions_of[token] = sessions_of.get(token, 0) + 1
    if min_sessions is not None:
        found[RARE] = {token for token, n in sessions_of.items() if n < min_sessions}
    return found


def files_values(paths: Iterable[Path], rare: set[str] | None = None,
                 secrets: bool | str = True) -> dict[str, set[str]]:
    """Parameter values anywhere in these files (what a user would publish is the files, so every byte counts), with
    ``secrets`` their secret-like values, and the tokens of ``rare`` they hold."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    seen: set[str] = set()  # the files of a data set repeat their values (raw log, CSV, JSON lines): look once
    for path in sorted(paths):
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise InputError(f"too large to scan for leakage ({path.stat().st_size} bytes)", path=path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            tail = ""  # the unfinished last line of a chunk, scanned with the next one so no value is cut in two
            for chunk in iter(lambda: fh.read(1 << 22), ""):
                text, _, tail = (tail + chunk).rpartition("\n")
                _merge(found, extract_values(text, rare, secrets, seen))
            _merge(found, extract_values(tail, rare, secrets, seen))
    found[SECRET] -= set().union(*(found[kind] for kind in VALUE_PATTERNS))  # one kind per value, across chunks
    return found
