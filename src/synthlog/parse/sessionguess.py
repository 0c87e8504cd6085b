"""Choose how to cut a log into sessions when the user does not say: an entity id most lines carry, else windows.

Real systems name their units of work in the message text: HDFS blocks (``blk_-42``), OpenStack instances
(``[instance: 3edec1e4-...]``), requests (``req-a1b2``), jobs, containers. Such an id has a recognisable shape, recurs
on several lines (a session has several events), takes many values (one per session) and most lines name only one.
The shape that covers the most lines under those conditions becomes ``entity:REGEX``; when no shape qualifies
(BGL, syslog), the log is cut into time windows holding about :data:`WINDOW_LINES` lines each, or, without
timestamps, into consecutive windows of that many lines.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from synthlog.records import US, LogEvent

SAMPLE_LINES = 20_000  # the guess reads the first lines only: shapes show early, and a huge log stays cheap
WINDOW_LINES = 20  # lines per window when no entity qualifies (a typical session length of entity logs)
MIN_COVERAGE = 0.3  # an entity must appear on this share of the sampled lines
MIN_LINES_PER_ID = 2.0  # sessions of one line are no sequences...
ALMOST_EVERY_LINE = 0.8  # ...unless nearly every line names one: a thin sample of an entity log (Loghub's 2k)
MIN_IDS = 5
MAX_IDS_PER_LINE = 1.5  # a field listing many ids (replica lists, batches) is not the session key
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]*[A-Za-z0-9]")
UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# runs a shape keeps literally (word parts, separators) or generalises (UUIDs, hex strings, numbers with a sign)
PIECE = re.compile(rf"(?P<uuid>{UUID_RE})|(?P<hex>0x[0-9a-fA-F]+|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{{8,}})"
                   r"(?![0-9a-zA-Z])|(?P<num>-?\d+)|(?P<word>[A-Za-z]+)|(?P<sep>[^A-Za-z0-9])")


@dataclass(frozen=True)
class SessionGuess:
    """The chosen ``--sessions`` spec and why, in words."""

    spec: str
    reason: str


def _shape(token: str) -> str | None:
    """A token's shape as a regex, or None when it is no id: an id has a word part next to a number or a hex
    string (``blk_-42``, ``req-7``, ``job_201_0003``, ``node-0x1f``), or is a UUID or a ``0x`` hex string alone;
    numbers, addresses, versions, bare hashes and words alone are not."""
    parts, words, numbers, alone = [], 0, 0, False  # alone: an id by itself (a UUID, or a 0x string on its own)
    for match in PIECE.finditer(token):
        kind = match.lastgroup
        if kind == "uuid":
            parts.append(UUID_RE)
            alone = True
        elif kind == "hex":
            parts.append(r"0x[0-9a-fA-F]+" if match.group().startswith("0x") else r"[0-9a-f]{8,}")
            numbers += 1
        elif kind == "num":
            parts.append(r"-?\d+" if match.group().startswith("-") or (parts and parts[-1] == "_") else r"\d+")
            numbers += 1
        elif kind == "word":
            parts.append(re.escape(match.group()))
            words += 1
        else:
            parts.append(re.escape(match.group()))
    if len(parts) == 1 and token.startswith("0x") and numbers:
        alone = True
    if not (alone or (words and numbers)):
        return None
    # a shape that starts with a run it generalises must not match inside a longer id (req-UUID for UUID)
    return "".join(parts) if token[0].isalpha() else r"(?<![\w.:/-])" + "".join(parts)


def guess_sessions(events: Sequence[LogEvent], labeled_ids: Sequence[str] = ()) -> SessionGuess:
    """The session spec for ``events`` (see the module docstring); deterministic for the same lines.

    ``labeled_ids``: the ids of a session label file, which settle the question: the id shape on the lines that
    most of them match is the session key, however few lines name it."""
    sample = events[:SAMPLE_LINES]
    lines_of: dict[str, Counter[str]] = defaultdict(Counter)  # shape -> id -> lines naming it
    lines_with: Counter[str] = Counter()
    for event in sample:
        seen: dict[str, set[str]] = defaultdict(set)
        for token in TOKEN.findall(event.content):
            shape = _shape(token)
            if shape is not None:
                seen[shape].add(token)
        for shape, ids in seen.items():
            lines_with[shape] += 1
            for value in ids:
                lines_of[shape][value] += 1
    if labeled_ids:
        sample_ids = list(labeled_ids[:1000])
        matched = sorted(((sum(1 for i in sample_ids if re.fullmatch(shape, i)), shape) for shape in lines_with),
                         reverse=True)
        if matched and matched[0][0] >= len(sample_ids) / 2:
            return SessionGuess(f"entity:{matched[0][1]}", f"{matched[0][0]} of {len(sample_ids)} labeled ids "
                                                           "have this shape")
    best: tuple[bool, float, str] | None = None
    for shape, count in lines_with.items():
        ids = lines_of[shape]
        coverage, named = count / len(sample), sum(ids.values())  # named: (line, id) pairs
        per_id = named / len(ids)
        if (coverage >= MIN_COVERAGE and len(ids) >= MIN_IDS and named / count <= MAX_IDS_PER_LINE
                and (per_id >= MIN_LINES_PER_ID or coverage >= ALMOST_EVERY_LINE)):
            key = (per_id >= MIN_LINES_PER_ID, coverage, shape)  # ids that recur before ids on more lines
            best = key if best is None or key > best else best
    if best is not None:
        shape = best[2]
        ids = lines_of[shape]
        return SessionGuess(f"entity:{shape}", f"{len(ids)} ids of this shape name {best[1]:.0%} of the first "
                                               f"{len(sample)} lines, {sum(ids.values()) / len(ids):.1f} lines each")
    times = [e.timestamp for e in sample if e.timestamp is not None]
    if len(times) == len(sample) and len(sample) > 1 and max(times) > min(times):
        seconds = _round_up((max(times) - min(times)) / US * WINDOW_LINES / len(sample))  # times: microseconds
        return SessionGuess(f"window:{seconds:g}", f"no entity id recurs on most lines; windows of {seconds:g} s "
                                                   f"hold about {WINDOW_LINES} of the first {len(sample)} lines")
    return SessionGuess(f"sliding:{WINDOW_LINES},{WINDOW_LINES}",
                        f"no entity id recurs on most lines and not every line has a time; "
                        f"consecutive windows of {WINDOW_LINES} lines")


def _round_up(seconds: float) -> float:
    """The next of 1, 2, 5 x 10^k at or above ``seconds`` (at least 1 ms), so windows read as round lengths."""
    seconds = max(seconds, 0.001)
    power = 10 ** math.floor(math.log10(seconds))
    step = next((k for k in (1, 2, 5) if k * power >= seconds * (1 - 1e-9)), 10)
    return float(f"{step * power:.6g}")
