"""The secret scan: which tokens look like credentials, personal data or machine identities, and shape-preserving
stand-ins for them.

Cloud and service keys come from detect-secrets' regex detectors (AWS, Azure, GitHub, Slack, Stripe, JWT, basic-auth
URLs ...); the classes below cover what those leave out: e-mail, IPv4/IPv6, MAC, host names (FQDN), credential
assignments (``password=..``), long hex or base64 runs, high-entropy strings and identifiers mixing letters and
digits. The whole scan is a pure function of the text.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
from detect_secrets.plugins.base import RegexBasedDetector

import synthlog.privacy.detectors  # noqa: F401  (loads every detect-secrets plugin module, so each detector class exists)

_TLDS = ("com|net|org|edu|gov|mil|int|io|co|us|uk|de|fr|jp|cn|ru|nl|eu|ca|au|in|br|ch|se|no|it|es|info|biz|"
         "internal|local|lan|corp|intra|intranet|localdomain|home|cloud|example|test|invalid|arpa|svc|cluster")
PATTERNS: dict[str, re.Pattern[str]] = {
    # every pattern starts where its run starts (a lookbehind) and bounds its runs: linear on long lines
    "email": re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"),
    "url_credentials": re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/:@]{1,256}:"
                                  r"[^\s/@]{1,256}@"),
    "credential": re.compile(r"(?i)\b(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|auth|"
                             r"credentials?|session[_-]?key|private[_-]?key)\s*[=:]\s*\S+"),
    "ipv4": re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)"),
    "ipv6": re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})?(?::[0-9A-Fa-f]{1,4}){0,6}"
                       r"(?![\w:])|(?<![\w:])::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}(?![\w:])"),
    "mac": re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}(?:(?P<mac_sep>[:-])[0-9A-Fa-f]{2})(?:(?P=mac_sep)[0-9A-Fa-f]{2}){4}"
                      r"(?![\w:-])"),
    "hostname": re.compile(rf"(?<![\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{_TLDS})"
                           r"(?![\w-]|\.[A-Za-z0-9])", re.IGNORECASE),
    "long_hex": re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9A-Fa-f]{16,}(?![0-9A-Za-z])"),
    "base64": re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{20,}={0,2}(?![A-Za-z0-9+/=_-])"),
}
# A character every match of a class needs, or its least length: a text without it is not searched for that class
_POSSIBLE: dict[str, Callable[[str], bool]] = {
    "email": lambda text: "@" in text, "url_credentials": lambda text: "://" in text,
    "credential": lambda text: "=" in text or ":" in text, "ipv4": lambda text: "." in text,
    "ipv6": lambda text: ":" in text, "mac": lambda text: ":" in text or "-" in text,
    "hostname": lambda text: "." in text, "long_hex": lambda text: len(text) >= 16,
    "base64": lambda text: len(text) >= 20,
}
# Every class at once: a token none of them matches anywhere is not searched class by class
_ANY_CLASS = re.compile("|".join(
    f"(?i:{p.pattern.removeprefix('(?i)')})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})"
    for p in PATTERNS.values()))
_TOKEN = re.compile(r"[^\s,;\"'()\[\]{}<>|]+")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9_+/=-]{12,}")
ENTROPY_BITS = 3.5  # bits per character above which a 12+ character run counts as random (a key, a cookie)


@lru_cache(maxsize=1)
def _detectors() -> tuple[RegexBasedDetector, ...]:
    """One instance of each detect-secrets regex detector (the high-entropy and keyword plugins are not regex
    based, and too noisy on log text: the entropy and credential classes here replace them)."""
    def leaves(cls: type) -> list[type]:
        subs = cls.__subclasses__()
        return [c for s in subs for c in ([s] if not s.__subclasses__() else leaves(s) + [s])]
    return tuple(sorted((cls() for cls in set(leaves(RegexBasedDetector)) if not getattr(cls, "__abstractmethods__",
                                                                                         None)),
                        key=lambda d: d.secret_type))


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


@lru_cache(maxsize=1 << 16)
def _valid(kind: str, value: str) -> bool:
    if kind == "ipv4":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return False
        return True
    if kind == "ipv6":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return value.count(":") >= 2 and any(c.isalpha() or c == ":" for c in value.replace("::", ":"))
    if kind == "base64":  # a base64 run mixes upper case, lower case and digits; plain words and names do not
        return (any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit()
                                                                                           for c in value))
    return True


@lru_cache(maxsize=1 << 18)
def mixes_letters_and_digits(token: str) -> bool:
    """An identifier: at least 4 characters with letters and digits mixed (``node77``, ``R02-M1``, ``a1b2c3``),
    not a plain number with a unit of up to five letters (``64MB``, ``250ms``, ``100Mbps``, ``12KB/s``) nor a word
    with one digit at its end (``IPv4``, ``node-2``); of ``key=value``, ``key:value`` and ``Class@line`` only the
    value counts, of ``0x..`` only the hex digits."""
    core = re.split(r"[=:@]", token.strip(".,:;!?"))[-1].strip("/\\-_.")  # of key=value etc. the value decides
    if core[:2] in ("0x", "0X"):  # hex notation: only its digits count
        core = core[2:]
    if len(core) < 4 or not any(c.isalpha() for c in core) or not any(c.isdigit() for c in core):
        return False
    if re.fullmatch(r"[-+]?\d+(?:\.\d+)?[A-Za-z%]{1,5}(?:/s)?", core):  # a number with its unit
        return False
    return not re.fullmatch(r"[A-Za-z]{2,}[-_.]?\d", core)  # a word with one trailing digit: IPv4, node-2


def find_secrets(text: str, detectors: bool = True, tokens: set[str] | None = None) -> dict[str, set[str]]:
    """Every secret-like string in ``text`` by class (class names: :data:`PATTERNS`, ``high_entropy``,
    ``letters_digits`` and, with ``detectors``, detect-secrets' secret types).

    Fast on bulk text: each distinct token (a run between white space and ``,;"'()[]{}<>|``) is scanned once and its
    findings cached, detect-secrets' detectors run only on candidate tokens (see :func:`_token_secrets`), and only
    the lines holding a word of :data:`CONTEXT_WORDS` (where a match can span tokens: ``password = x``, keyword
    detectors, URLs, key headers) are scanned whole as well. ``tokens``: the distinct tokens of ``text`` to look at
    (default: all; a caller scanning many texts passes only those it has not seen)."""
    found: dict[str, set[str]] = {}
    for token in set(_TOKEN.findall(text)) if tokens is None else tokens:
        for kind, value in _token_secrets(token, detectors):
            found.setdefault(kind, set()).add(value)
    context = context_lines(text)
    if context:
        for kind, values in scan_whole(context, detectors).items():
            found.setdefault(kind, set()).update(values)
    return found


# Every class whose match can hold a delimiter of :data:`_TOKEN` or white space needs one of these words (lower case)
# on its line: credential assignments, detect-secrets' keyword detectors (AWS, Cloudant, IBM, SoftLayer, NPM), URLs
# (credentials, webhooks), private key headers, and JWT / OpenAI / PyPI keys (their character ranges hold ``;<>[]``).
CONTEXT_WORDS = ("pass", "pw", "secret", "token", "key", "auth", "credential", "aws", "://", "begin", "putty", "eyj",
                 "sk-", "pypi-")
_CONTEXT = re.compile("|".join(re.escape(word) for word in CONTEXT_WORDS))
_CONTEXT_ANY_CASE = re.compile(_CONTEXT.pattern, re.IGNORECASE)


def context_lines(text: str) -> str:
    """The lines of ``text`` that hold a word of :data:`CONTEXT_WORDS` in any case, joined by newlines."""
    lower = text.lower()
    matches = _CONTEXT.finditer(lower) if len(lower) == len(text) else _CONTEXT_ANY_CASE.finditer(text)
    lines, end = [], -1
    for match in matches:  # lower() keeps offsets of nearly all text; the slower any-case search when it does not
        if match.start() <= end:
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        lines.append(text[start:end])
    return "\n".join(lines)


_DETECTOR_MIN_LENGTH = 16  # a token this long is a detector candidate even when no class of ours reports it
_DETECTOR_EDGES = " \t\r\n\"'"  # some detectors match the white space or quote around a key: not part of it


@lru_cache(maxsize=1 << 18)
def _token_secrets(token: str, detectors: bool) -> tuple[tuple[str, str], ...]:
    """What the scan finds in one token, as (class, value) pairs. detect-secrets' detectors (about 25 regexes) run
    only on a candidate: a token in which a class of ours found something (every key they know mixes letters and
    digits, or is long hex or base64) or of 16+ characters (an all-letter key)."""
    if not detectors:
        found = set(_class_matches(token))
        if mixes_letters_and_digits(token):
            found.add(("letters_digits", token.strip(".,:;!?")))
        return tuple(sorted(found))
    ours = _token_secrets(token, False)
    if not ours and len(token) < _DETECTOR_MIN_LENGTH:
        return ours
    theirs = scan_whole(token, detectors=True, patterns=False)
    return tuple(sorted({*ours, *((kind, value) for kind, values in theirs.items() for value in values)}))


def _class_matches(text: str) -> Iterator[tuple[str, str]]:
    """(class, value) of every match of :data:`PATTERNS` and every high-entropy run in ``text``."""
    if _ANY_CLASS.search(text):
        for kind, pattern in PATTERNS.items():
            if _POSSIBLE[kind](text):
                for value in {match.group(0).rstrip(".") for match in pattern.finditer(text)}:
                    if _valid(kind, value):
                        yield kind, value
    for run in set(_ALNUM_RUN.findall(text)) if len(text) >= 12 else ():  # distinct runs: logs repeat their words
        if _random(run):
            yield "high_entropy", run


def scan_whole(text: str, detectors: bool, patterns: bool = True) -> dict[str, set[str]]:
    """The scan of one text as a whole (the definition :func:`find_secrets` computes faster): the classes of
    :data:`PATTERNS`, the detectors, high entropy runs and identifiers (``patterns=False``: the detectors only)."""
    found: dict[str, set[str]] = {}
    for detector in _detectors() if detectors else ():
        for value in detector.analyze_string(text):
            if value.strip(_DETECTOR_EDGES):
                found.setdefault(detector.secret_type, set()).add(value.strip(_DETECTOR_EDGES))
    if not patterns:
        return found
    for kind, value in _class_matches(text):
        found.setdefault(kind, set()).add(value)
    for token in set(_TOKEN.findall(text)):
        if mixes_letters_and_digits(token):
            found.setdefault("letters_digits", set()).add(token.strip(".,:;!?"))
    return found


@lru_cache(maxsize=1 << 18)
def _random(run: str) -> bool:
    return any(c.isdigit() for c in run) and _entropy(run) >= ENTROPY_BITS


@lru_cache(maxsize=1 << 16)
def is_secret_like(text: str) -> bool:
    """Whether ``text`` holds anything :func:`find_secrets` reports."""
    return bool(find_secrets(text))


_CLASSES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def synthetic_token(token: str, rng: np.random.Generator) -> str:
    """A stand-in of the same shape: every digit, lower-case and upper-case letter replaced by a random one of its
    class (hex digits stay hex digits), punctuation kept; IPv4 and IPv6 addresses become addresses of the
    documentation ranges (203.0.113.0/24, 2001:db8::/32), which no real host has."""
    core = token.strip(".,:;!?")
    if _valid("ipv4", core) and PATTERNS["ipv4"].fullmatch(core):
        return token.replace(core, f"203.0.113.{int(rng.integers(1, 255))}")
    if ":" in core and PATTERNS["ipv6"].fullmatch(core) and _valid("ipv6", core):
        groups = ":".join(f"{int(g):x}" for g in rng.integers(0, 1 << 16, 3))
        return token.replace(core, f"2001:db8:{groups}::{int(rng.integers(1, 1 << 16)):x}")
    hexish = all(c in "0123456789abcdefABCDEFxX" for c in core)
    out = []
    for c in token:
        if hexish and c.lower() in "abcdef":
            alphabet = "abcdef" if c.islower() else "ABCDEF"
        else:
            alphabet = next((a for a in _CLASSES if c in a), None)
        out.append(c if alphabet is None else alphabet[int(rng.integers(0, len(alphabet)))])
    return "".join(out)
