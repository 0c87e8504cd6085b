"""Drawing values of a :class:`~synthlog.values.model.ValueModel`, vectorised over a column of rows.

Every random number comes either from the run's generator or, for an entity, from a hash of the entity's key and the
model's fingerprint, so an entity (a pool member, or the session itself when ``scope`` is ``session``) gets the same
value every time it is drawn, in any shard and in any template whose slot has the same model.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthlog.values.model import ALPHABETS, NumberPiece, Pattern, Piece, ValueModel

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL1, _MUL2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _MIX
        z = (z ^ (z >> np.uint64(30))) * _MUL1
        z = (z ^ (z >> np.uint64(27))) * _MUL2
        return z ^ (z >> np.uint64(31))


class _Draws:
    """Uniform numbers in [0, 1) per row: from ``rng``, or a pure function of the row's key where it has one."""

    def __init__(self, rng: np.random.Generator, n: int, keys: np.ndarray | None, keyed: np.ndarray | None):
        self.rng, self.n, self.keys, self.keyed, self.calls = rng, n, keys, keyed, 0

    def uniform(self) -> np.ndarray:
        u = self.rng.random(self.n)
        if self.keys is None:
            return u
        self.calls += 1
        with np.errstate(over="ignore"):
            hashed = _splitmix(self.keys + np.uint64(self.calls) * _MIX)
        keyed_u = (hashed >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        return np.where(self.keyed, keyed_u, u)


def sample_column(model: ValueModel, rng: np.random.Generator, n: int, owners: np.ndarray | None = None,
                  owned: np.ndarray | None = None, by_owner: bool | None = None) -> pl.Series:
    """``n`` values of ``model``. ``owners`` (uint64, one per row) are the rows' session or entity numbers,
    ``owned`` says which rows have one; one value per owner when ``by_owner`` (default: the model's scope is
    ``session``)."""
    fp = np.uint64(model.fingerprint)
    if owners is not None and owned is None:
        owned = np.ones(n, dtype=bool)
    session = owners is not None and (model.scope == "session" if by_owner is None else by_owner)
    session_keys = _splitmix(owners.astype(np.uint64) ^ fp) if session else None
    choice = _Draws(rng, n, session_keys, owned if session else None).uniform()
    if model.pool is not None:
        index = np.floor(rng.random(n) * model.pool).astype(np.uint64)
        if session:
            index = np.where(owned, session_keys % np.uint64(model.pool), index)
        content = _Draws(rng, n, _splitmix(_splitmix(index) ^ fp), np.ones(n, dtype=bool))
    elif session:
        content = _Draws(rng, n, session_keys, owned)
    else:
        content = _Draws(rng, n, None, None)
    weights = np.array([p.weight for p in model.patterns], dtype=float)
    chosen = np.minimum(np.searchsorted(np.cumsum(weights) / weights.sum(), choice, side="right"),
                        len(model.patterns) - 1)
    parts = []
    for j, pattern in enumerate(model.patterns):
        rows = np.flatnonzero(chosen == j)
        column = _pattern(pattern, rows, content)
        parts.append(pl.DataFrame({"row": rows, "value": column}))
    return pl.concat(parts).sort("row")["value"] if parts else pl.Series([], dtype=pl.String)


def _pattern(pattern: Pattern, rows: np.ndarray, draws: _Draws) -> pl.Series:
    columns = [_piece(piece, rows, draws) for piece in pattern.pieces]
    if not columns:
        return pl.Series([""] * len(rows), dtype=pl.String)
    frame = pl.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    return frame.select(pl.concat_str(pl.all())).to_series().alias("value")


def _piece(piece: Piece, rows: np.ndarray, draws: _Draws) -> pl.Series:
    if piece.text is not None:
        draws.uniform()  # every piece consumes draws, so later pieces do not depend on which pieces are literal
        return pl.Series([piece.text] * len(rows), dtype=pl.String)
    if piece.number is not None:
        return _number(piece.number, draws.uniform()[rows])
    return _chars(piece, rows, draws)


def _number(number: NumberPiece, u: np.ndarray) -> pl.Series:
    q = np.asarray(number.quantiles, dtype=float)
    x = u * (len(q) - 1)
    i = np.minimum(np.floor(x).astype(np.int64), len(q) - 2)
    frac = x - i
    lo, hi = q[i], q[i + 1]
    values = np.exp(np.log(lo) + frac * (np.log(hi) - np.log(lo))) if number.log else lo + frac * (hi - lo)
    scaled = np.rint(values * 10 ** number.decimals).astype(np.int64)
    whole = pl.Series(np.abs(scaled) // 10 ** number.decimals).cast(pl.String)
    if number.width:
        whole = whole.str.zfill(number.width)
    sign = pl.Series(np.where(scaled < 0, "-", ""), dtype=pl.String)
    if number.decimals == 0:
        return pl.DataFrame({"s": sign, "w": whole}).select(pl.concat_str(["s", "w"])).to_series()
    part = pl.Series(np.abs(scaled) % 10 ** number.decimals + 10 ** number.decimals).cast(pl.String).str.slice(1)
    return pl.DataFrame({"s": sign, "w": whole, "f": part}).select(
        pl.concat_str(["s", "w", pl.lit("."), "f"])).to_series()


def _chars(piece: Piece, rows: np.ndarray, draws: _Draws) -> pl.Series:
    """A run of characters: its length from the length histogram, its kind (digits only, letters only, mixed) from
    the piece's shares, each character uniform in the alphabet part that kind allows."""
    m = len(rows)
    lengths = np.asarray(piece.lengths)
    weights = np.asarray(piece.weights if piece.weights is not None else [1.0] * len(lengths), dtype=float)
    pick = np.searchsorted(np.cumsum(weights) / weights.sum(), draws.uniform()[rows], side="right")
    length = lengths[np.minimum(pick, len(lengths) - 1)]
    alphabet = np.frombuffer(ALPHABETS[piece.chars].encode(), dtype=np.uint8)
    digits = alphabet[np.isin(alphabet, _DIGITS)]
    letters = alphabet[~np.isin(alphabet, _DIGITS)]
    kind_u = draws.uniform()[rows]
    kind = np.where(kind_u < piece.digits_only, 1, np.where(kind_u < piece.digits_only + piece.letters_only, 2, 0))
    if not len(digits):
        kind[:] = 2
    elif not len(letters):
        kind[:] = 1
    table = np.zeros((3, len(alphabet)), dtype=np.uint8)
    sizes = np.array([len(alphabet), len(digits) or len(alphabet), len(letters) or len(alphabet)])
    table[0], table[1, :len(digits)], table[2, :len(letters)] = alphabet, digits, letters
    width = int(lengths.max())
    codes = np.zeros((m, width), dtype=np.uint8)
    for position in range(width):
        u = draws.uniform()[rows]
        codes[:, position] = table[kind, np.floor(u * sizes[kind]).astype(np.int64)]
    mixed = np.flatnonzero((kind == 0) & (length >= 2))
    if len(mixed) and len(digits) and len(letters):  # a mixed run holds at least one digit and one letter
        u1, u2, u3, u4 = (draws.uniform()[rows][mixed] for _ in range(4))
        first = np.floor(u1 * length[mixed]).astype(np.int64)
        second = (first + 1 + np.floor(u2 * (length[mixed] - 1)).astype(np.int64)) % length[mixed]
        codes[mixed, first] = digits[np.floor(u3 * len(digits)).astype(np.int64)]
        codes[mixed, second] = letters[np.floor(u4 * len(letters)).astype(np.int64)]
    else:
        for _ in range(4):
            draws.uniform()
    codes[np.arange(width)[None, :] >= length[:, None]] = 0
    return pl.Series(codes.view(f"S{width}").ravel()).cast(pl.String)
