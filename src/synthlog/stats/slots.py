"""What the profiler releases of a template: its slots as value models, its constant tokens through the secret scan.

Slots: the session id (``session`` / ``session_number``), node addresses (a pool of made-up addresses), and every
other slot as a shape-preserving :class:`~synthlog.values.model.ValueModel` fitted under the k-anonymity rule
(:func:`synthlog.values.fit`). Constant tokens: any token the secret scan reports (:mod:`synthlog.privacy.secrets`)
is replaced by a made-up token of the same shape, the same stand-in wherever the token occurs in the spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from synthlog.parse.drain import WILDCARD
from synthlog.privacy.secrets import is_secret_like, synthetic_token
from synthlog.stats.spec import SLOT, Param
from synthlog.synth.values import SlotKind, infer_slot_kinds
from synthlog.values.fit import FitRules, fit
from synthlog.values.model import NumberPiece, Pattern, Piece, ValueModel

_IP_PORT = re.compile(r"/?((?:\d{1,3}\.){3}\d{1,3})(?::(\d{1,5}))?")


def session_kind(values: list[tuple[str, str]]) -> str | None:
    """``session`` when a slot holds its line's session id, ``session_number`` when it holds the id's number."""
    if values and sum(v == sid for v, sid in values) >= 0.5 * len(values):
        return "session"
    if values and sum(sid.endswith(v) and v != sid and len(v) >= 3 for v, sid in values) >= 0.5 * len(values):
        return "session_number"
    return None


def slot_params(text: str, slot_values: list[list[tuple[str, str]]], addresses: list[str],
                rules: FitRules) -> tuple[str, dict[str, Param]]:
    """The spec template (named slots ``<p1>`` ..) and its params, from a scrubbed template ``text`` with ``<*>``
    slots and each slot's (value, session id) pairs."""
    pieces = text.split(WILDCARD)
    out = [pieces[0]]
    params: dict[str, Param] = {}
    guessed = infer_slot_kinds(text) if any(not values for values in slot_values) else []
    for i, pairs in enumerate(slot_values, start=1):
        name = f"p{i}"
        values = [v for v, _ in pairs]
        session = session_kind(pairs)
        if not values:
            slot, more = guessed_slot(name, guessed[i - 1] if i <= len(guessed) else None, addresses)
            params.update(more)
        elif session is not None:
            slot, params[name] = f"<{name}>", Param(kind=session)
        elif all(_IP_PORT.fullmatch(v) for v in values):
            slot, more = _address_slot(name, pairs, addresses, rules)
            params.update(more)
        else:
            slot, params[name] = f"<{name}>", Param(kind="shape", shape=fit(values, [s for _, s in pairs], rules))
        out += [slot, pieces[i]]
    return "".join(out), params


def _address_slot(name: str, pairs: list[tuple[str, str]], addresses: list[str],
                  rules: FitRules) -> tuple[str, dict[str, Param]]:
    matches = [_IP_PORT.fullmatch(v) for v, _ in pairs]
    lead = "/" if all(v.startswith("/") for v, _ in pairs) else ""
    params = {name: Param(kind="choice", values=addresses)}
    slot = f"{lead}<{name}>"
    ports = [(m.group(2), s) for m, (_, s) in zip(matches, pairs, strict=True) if m.group(2)]
    if ports and len(ports) == len(pairs):
        port = fit([p for p, _ in ports], [s for _, s in ports], rules)
        params[f"{name}_port"] = Param(kind="shape", shape=port)
        slot += f":<{name}_port>"
    return slot, params


_GUESSED_RANGES = {SlotKind.SIZE: (1_000, 99_000_000), SlotKind.PORT: (1_024, 65_535),
                   SlotKind.DURATION: (0, 9_999), SlotKind.COUNT: (0, 99), SlotKind.NUMBER: (0, 999)}
_WORD = Piece(chars="lower", lengths=[4, 5, 6, 7, 8], letters_only=1.0)
GENERIC_WORD = ValueModel(patterns=[Pattern(pieces=[_WORD])])
GENERIC_PATH = ValueModel(patterns=[Pattern(pieces=[Piece(text="/"), _WORD, Piece(text="/"), _WORD,
                                                     Piece(text="/"), _WORD])])


def guessed_slot(name: str, kind: SlotKind | None, addresses: list[str]) -> tuple[str, dict[str, Param]]:
    """A slot of a template seen without values (e.g. sessions given as template strings): the kind its words
    suggest (:func:`synthlog.synth.values.infer_slot_kinds`), with generic values; nothing real is known to leak."""
    ip = Param(kind="choice", values=addresses)
    if kind == SlotKind.BLOCK_ID:
        return f"<{name}>", {name: Param(kind="session")}
    if kind in (SlotKind.SOCKET_ADDRESS, SlotKind.HOST_PORT):
        return f"<{name}>:<{name}_port>", {name: ip, f"{name}_port": Param(kind="int", min=1_024, max=65_535)}
    if kind in (SlotKind.INET_ADDRESS, SlotKind.IPV4):
        return f"<{name}>", {name: ip}
    if kind in _GUESSED_RANGES:
        low, high = _GUESSED_RANGES[kind]
        number = Piece(number=NumberPiece(quantiles=[float(low), float(high)]))
        return f"<{name}>", {name: Param(kind="shape", shape=ValueModel(patterns=[Pattern(pieces=[number])]))}
    if kind == SlotKind.PATH:
        return f"<{name}>", {name: Param(kind="shape", shape=GENERIC_PATH)}
    return f"<{name}>", {name: Param(kind="shape", shape=GENERIC_WORD)}


class TokenScrubber:
    """Replaces every secret-like constant token of templates by a made-up token of its shape; a token gets one
    stand-in for the whole spec, drawn in order of first appearance (so the stand-in tells nothing but the shape)."""

    def __init__(self, seed: int, secret: Callable[[str], bool] = is_secret_like):
        self.rng = np.random.default_rng([seed, 0x5EC])
        self.secret = secret
        self.stand_ins: dict[str, str] = {}

    def __call__(self, template: str) -> str:
        return " ".join(self._token(token) for token in template.split(" "))

    def _token(self, token: str) -> str:
        literal = SLOT.split(token)[0::2]
        if not self.secret(" ".join(literal)):
            return token
        names = SLOT.findall(token)
        out = [self._stand_in(literal[0])]
        for name, piece in zip(names, literal[1:], strict=True):
            out += [f"<{name}>", self._stand_in(piece)]
        return "".join(out)

    def _stand_in(self, text: str) -> str:
        if not text:
            return text
        if text not in self.stand_ins:
            self.stand_ins[text] = synthetic_token(text, self.rng)
        return self.stand_ins[text]
