"""Privacy checks of a synthetic data set against the real logs it was derived from: leakage of parameter values
(IP addresses, block ids, paths, hosts, long numbers), of secret-like values (:mod:`synthlog.privacy.secrets`) and of
rare tokens (seen in fewer than k real sessions), and the distance to the closest real record (DCR) of synthetic
sessions compared with a real holdout.

Definitions: docs/stats.md, "Profiling and validation".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from synthlog.errors import InputError
from synthlog.logstats import session_keys
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
    out = set()
    for token in _LEAK_TOKEN.findall(text):
        token = token.strip(".:=")
        if len(token) >= MIN_TOKEN_LENGTH and any(c.isalpha() for c in token):
            out.add(token)
    return out


def extract_values(text: str, rare: set[str] | None = None, secrets: bool | str = True) -> dict[str, set[str]]:
    """The parameter values of each kind found in ``text`` (addresses must be valid IPv4; paths lose a trailing dot),
    its secret-like values (``secrets``; ``"bulk"``: without the detect-secrets detectors, see
    :func:`synthlog.privacy.secrets.find_secrets`) and the tokens of ``rare`` it holds."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, pattern in VALUE_PATTERNS.items():
        for match in pattern.findall(text):
            if kind == "ip":
                try:
                    ipaddress.IPv4Address(match)
                except ValueError:
                    continue
            found[kind].add(match.rstrip(".") if kind == "path" else match)
    if secrets:
        known = set().union(*(found[kind] for kind in VALUE_PATTERNS))  # a value is reported under one kind
        found[SECRET] = set().union(*find_secrets(text, detectors=secrets != "bulk").values()) - known
    if rare:
        found[RARE] = leak_tokens(text) & rare
    return found


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
    for path in sorted(paths):
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise InputError(f"too large to scan for leakage ({path.stat().st_size} bytes)", path=path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            tail = ""  # the unfinished last line of a chunk, scanned with the next one so no value is cut in two
            for chunk in iter(lambda: fh.read(1 << 22), ""):
                text, _, tail = (tail + chunk).rpartition("\n")
                _merge(found, extract_values(text, rare, secrets))
            _merge(found, extract_values(tail, rare, secrets))
    return found


def directory_files(directory: Path) -> list[Path]:
    """Every regular file under a generated data set's directory."""
    return sorted(p for p in Path(directory).rglob("*") if p.is_file())


@dataclass(slots=True)
class LeakageReport:
    """Per kind: distinct real values, distinct synthetic values, and the real values found in the synthetic output."""

    real: dict[str, int]
    synthetic: dict[str, int]
    leaked: dict[str, list[str]]

    @property
    def leaked_total(self) -> int:
        return sum(len(v) for v in self.leaked.values())

    @property
    def leaked_values(self) -> set[str]:
        """Every leaked value, whatever its kind (a value can be of several kinds)."""
        return set().union(*self.leaked.values())

    def to_dict(self, examples: int = 5) -> dict[str, Any]:
        return {
            "leaked_total": self.leaked_total,
            "leaked_distinct": len(self.leaked_values),
            "kinds": {kind: {"real": self.real[kind], "synthetic": self.synthetic[kind],
                             "leaked": len(self.leaked[kind]), "examples": self.leaked[kind][:examples]}
                      for kind in KINDS},
        }


def leakage_check(real: dict[str, set[str]], synthetic: dict[str, set[str]]) -> LeakageReport:
    """Which real values re-appear in the synthetic output, per kind (sorted, so reports are stable). For
    ``rare_token`` the synthetic side holds only tokens of the real rare set, so ``synthetic`` counts leaks too."""
    return LeakageReport(
        real={k: len(real.get(k, ())) for k in KINDS},
        synthetic={k: len(synthetic.get(k, ())) for k in KINDS},
        leaked={k: sorted(real.get(k, set()) & synthetic.get(k, set())) for k in KINDS},
    )


def _count_matrix(sequences: list[list[str]], vocabulary: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(sequences), len(vocabulary)), dtype=float)
    for row, seq in enumerate(sequences):
        for key in seq:
            matrix[row, vocabulary[key]] += 1
    return matrix


def _summary(distances: np.ndarray) -> dict[str, float]:
    return {"median": float(np.median(distances)), "mean": float(distances.mean()),
            "exact_match_share": float((distances == 0).mean())}


def distance_to_closest_record(real: LabeledDataset, synthetic: LabeledDataset, seed: int = 0,
                               max_sessions: int = 5000) -> dict[str, Any]:
    """DCR on template-count vectors (Euclidean): synthetic sessions to the closest real "train" session, against the
    baseline of real holdout sessions to the same train half.

    The real sessions are split in two halves at random (seeded). A synthetic set that copies real sessions sits
    closer to the train half than the holdout does (``synthetic_to_holdout_median_ratio`` < 1, exact-match share above
    the holdout's); at most ``max_sessions`` sessions per side are used."""
    rng = np.random.default_rng(seed)
    real_keys = [k for k in session_keys(real) if k]
    syn_keys = [k for k in session_keys(synthetic) if k]
    if len(real_keys) < 4 or not syn_keys:
        return {"available": False, "reason": "need at least 4 real and 1 synthetic non-empty sessions"}
    order = rng.permutation(len(real_keys))
    half = len(order) // 2
    train = [real_keys[i] for i in order[:half][:max_sessions]]
    holdout = [real_keys[i] for i in order[half:][:max_sessions]]
    syn_pick = rng.permutation(len(syn_keys))[:max_sessions]
    syn = [syn_keys[i] for i in syn_pick]
    vocabulary = {k: i for i, k in enumerate(sorted({k for seq in train + holdout + syn for k in seq}))}
    tree = cKDTree(_count_matrix(train, vocabulary))
    syn_dist, _ = tree.query(_count_matrix(syn, vocabulary), k=1)
    hold_dist, _ = tree.query(_count_matrix(holdout, vocabulary), k=1)
    syn_summary, hold_summary = _summary(syn_dist), _summary(hold_dist)
    ratios = {f"synthetic_to_holdout_{stat}_ratio": (syn_summary[stat] / hold_summary[stat]
                                                     if hold_summary[stat] else None) for stat in ("median", "mean")}
    return {"available": True, "train_sessions": len(train), "holdout_sessions": len(holdout),
            "synthetic_sessions": len(syn), "synthetic_to_train": syn_summary, "holdout_to_train": hold_summary,
            **ratios}
