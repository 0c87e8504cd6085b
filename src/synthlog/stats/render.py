"""Turn a shard's index arrays into text columns with polars: message contents, JSONL, raw log and Loghub CSV lines.

The JSONL line is the event record of :mod:`synthlog.io.jsonl` (``content``, ``timestamp`` in epoch seconds,
``level``, ``component``, ``template_id``, ``label``, ``attributes``: ``error_type``, ``anomaly`` and ``anomaly_id``
for a line an episode caused, the owner's context key and ``session``), the family ``generate code`` writes.

Everything is vectorised: parameter values are drawn per message group with numpy, every literal piece (template
text, choice values, service names) is escaped once per format up front, and lines are assembled with
``pl.concat_str`` over whole columns. Timestamps are glued from a per-second table plus millisecond and
microsecond tables, which is much cheaper than formatting each one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from synthlog.io.logformat import LogFormat
from synthlog.io.timestamps import TimeRenderer
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.events import ShardEvents
from synthlog.stats.spec import SLOT, Message, Param
from synthlog.values.sample import sample_column

FORMATS = ("jsonl", "raw", "csv")  # the files a run can write
_SHAPES = {"content": "raw", "jsonl": "json", "raw": "raw", "csv": "csv"}  # text column -> escaping of its pieces
_ESCAPES = ("raw", "json", "csv")
_HEX = pl.Series(list("0123456789abcdef"))


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _csv_needs_quotes(text: str) -> bool:
    return any(c in text for c in ',"\r\n')


def _escape(text: str, how: str, quoted: bool) -> str:
    if how == "json":
        return _json(text)
    if how == "csv" and quoted:
        return text.replace('"', '""')
    return text


class _MessageText:
    """One wording of a catalogue message split into literal pieces and slots, every piece escaped per format."""

    def __init__(self, message: Message, service: str, event_id: str, wording: str):
        self.pieces = SLOT.split(wording)[0::2]
        self.params: list[Param] = [message.param(s) for s in message.slots]
        choices = [v for p in self.params if p.kind == "choice" for v in p.values]
        choices += [piece.text for p in self.params if p.kind == "shape" for pattern in p.shape.patterns
                    for piece in pattern.pieces if piece.text is not None]
        self.csv_quoted = any(_csv_needs_quotes(t) for t in [*self.pieces, *choices])
        self.escaped = {how: [_escape(p, how, self.csv_quoted) for p in self.pieces] for how in _ESCAPES}
        self.choices = {how: [pl.Series([_escape(v, how, self.csv_quoted) for v in p.values]) if p.kind == "choice"
                              else None for p in self.params] for how in _ESCAPES}
        self.weights = [None if p.kind != "choice" or p.weights is None
                        else np.asarray(p.weights) / sum(p.weights) for p in self.params]
        error = "null" if message.error_type is None else f'"{_json(message.error_type)}"'
        template = SLOT.sub("<*>", wording)
        template_csv = f'"{template.replace(chr(34), 2 * chr(34))}"' if _csv_needs_quotes(template) else template
        quote = '"' if self.csv_quoted else ""
        # the level sits between a head and a tail, so a layout's per-line level words can go in its place
        # the record after its content and time: level, component, template id, label, then the attributes
        self.level = _json(message.level)
        self.json_head = ',"level":"'
        self.json_tail = f'","component":"{_json(service)}","template_id":"{_json(event_id)}","label":'
        self.json_error = f',"attributes":{{"error_type":{error}'
        self.raw_prefix = f" {message.level} {service}: "
        self.csv_head, self.csv_tail = ",", f",{service},{quote}"
        self.csv_prefix = self.csv_head + message.level + self.csv_tail
        self.csv_suffix = f"{quote},{event_id},{template_csv}\n"


class Renderer:
    """Renders shards of one compiled spec; the same object serves every shard of a run."""

    def __init__(self, compiled: CompiledSpec):
        self.compiled = compiled
        self.start_us = int(compiled.spec.start.timestamp()) * US + compiled.spec.start.microsecond
        self.texts = [_MessageText(compiled.messages[m], compiled.service_names[compiled.message_service[m]],
                                   event_id, wording) for m, event_id, wording in compiled.texts]
        spec = compiled.spec
        self.id_prefix = pl.Series([spec.request_id_prefix] + [p.id.prefix for p in spec.sessions])
        self.signed = np.array([False] + [p.id.kind == "int64" for p in spec.sessions])
        self.hex_length = np.array([0] + [p.id.length if p.id.kind == "hex" else 0 for p in spec.sessions])
        self.context_key = pl.Series([',"request_id":"'] + [f',"{_json(p.context_key)}":"' for p in spec.sessions])
        self.session_type = [_json(p.anomaly_type or f"{p.name}_anomaly") for p in spec.sessions]
        self.layout = None if spec.layout is None else _LayoutText(compiled)

    def absolute_us(self, time: np.ndarray) -> np.ndarray:
        return time + self.start_us

    def owner_ids(self, events: ShardEvents) -> tuple[pl.Series, pl.Series]:
        """Each owner's id as written (``req-123``, ``blk_-42``) and its number part alone."""
        unsigned = pl.Series(events.owner_number, dtype=pl.UInt64)
        signed = self.signed[events.owner_kind]
        numbers = unsigned.cast(pl.String)
        if signed.any():
            as_signed = pl.Series(events.owner_number.view(np.int64)).cast(pl.String)
            numbers = pl.select(pl.when(pl.Series(signed)).then(as_signed).otherwise(numbers)).to_series()
        if self.hex_length.any():
            numbers = _hex_ids(numbers, events.owner_number, self.hex_length[events.owner_kind])
        ids = (pl.DataFrame({"p": self.id_prefix.gather(events.owner_kind), "n": numbers})
               .select(pl.concat_str(["p", "n"])).to_series())
        return ids, numbers

    def render(self, events: ShardEvents, formats: tuple[str, ...], rng: np.random.Generator,
               owners: tuple[pl.Series, pl.Series] | None = None) -> dict[str, pl.Series]:
        """Text columns, one entry per line in the shard's time order, for each of ``formats``: ``jsonl``,
        ``raw``, ``csv`` (a structured CSV row without its LineId), ``content`` (the message) and ``id`` (the
        request or session id, empty when none), and with a layout ``level`` (each line's level word).
        ``owners`` is :meth:`owner_ids` when already computed.

        A layout's draws (level words, header values) come from generators of their own, seeded by one draw of
        ``rng`` whatever the formats, so the messages are the same whichever files a run writes."""
        n = len(events)
        layout = self.layout.generators(rng) if self.layout is not None else None
        ids, numbers = owners or self.owner_ids(events)
        out: dict[str, pl.Series] = {}
        if "id" in formats:
            out["id"] = _with_blank(ids).gather(_or_last(events.owner, ids))
        shaped = [f for f in formats if f in _SHAPES]
        levels_out = ["level"] if layout is not None and "level" in formats else []
        if not shaped and not levels_out:
            return out
        if n == 0:
            return out | {f: pl.Series([], dtype=pl.String) for f in [*shaped, *levels_out]}
        order = np.argsort(_narrow(events.text), kind="stable")
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        levels = self.layout.levels_of(events, order, layout[0]) if layout is not None else None
        if levels_out:
            out["level"] = self.layout.level_table.gather(levels[inverse])
        if not shaped:
            return out
        counts = np.bincount(events.text, minlength=len(self.texts))
        frame = self._common(events, order, ids, shaped, levels, layout[1] if layout is not None else None)
        groups = []
        offset = 0
        for m in np.flatnonzero(counts).tolist():
            rows = order[offset:offset + counts[m]]
            text = self.texts[m]
            values = [self._values(p, k, text, rows, events.owner, ids, numbers, rng, events.owner_number)
                      for k, p in enumerate(text.params)]
            groups.append((m, offset, len(rows), values))
            offset += len(rows)
        for shape in shaped:
            pieces = []
            for m, offset, count, values in groups:
                text = self.texts[m]
                how = _SHAPES[shape]
                columns = {f"v{k}": text.choices[how][k].gather(v) if isinstance(v, np.ndarray)
                           else _escape_shaped(v, how, text.csv_quoted) if text.params[k].kind == "shape" else v
                           for k, v in enumerate(values)}
                items = self._items(shape, text, len(values), self.layout)
                part = frame.slice(offset, count) if frame.width else None
                if columns:
                    part = pl.DataFrame(columns) if part is None else part.hstack(pl.DataFrame(columns))
                if part is None or all(isinstance(item, str) for item in items):  # a bare message's content
                    # (a select of literals only would give one row, not one per line)
                    pieces.append(pl.Series(["".join(items)] * count, dtype=pl.String))
                else:
                    pieces.append(part.select(_concat(items)).to_series())
            out[shape] = pl.concat(pieces, rechunk=False).gather(inverse)
        return out

    def _common(self, events: ShardEvents, order: np.ndarray, ids: pl.Series, shaped: list[str],
                levels: np.ndarray | None, header_rng: np.random.Generator | None) -> pl.DataFrame:
        """The columns lines share whatever their message, in message-sorted order."""
        columns: dict[str, pl.Series] = {}
        absolute = self.absolute_us(events.time[order])
        if any(shape != "content" for shape in shaped):
            seconds, which = np.unique(absolute // US, return_inverse=True)
            base = datetime(1970, 1, 1, tzinfo=UTC)
            stamps = [base + timedelta(seconds=int(s)) for s in seconds]
            columns["f"] = pl.Series(absolute % US + US).cast(pl.String).str.slice(1)
            for shape, form in (("raw", "{:%Y-%m-%d %H:%M:%S}."), ("csv", ",{:%Y-%m-%d,%H:%M:%S}.")):
                if shape in shaped:
                    columns[f"s_{shape}"] = pl.Series([form.format(d) for d in stamps]).gather(which)
            if "jsonl" in shaped:  # epoch seconds (a start is never before 1970), then the microseconds
                columns["s_jsonl"] = pl.Series([f'","timestamp":{s}.' for s in seconds.tolist()]).gather(which)
        if self.layout is not None and any(shape != "content" for shape in shaped):
            columns |= self.layout.columns(events, order, absolute, ids, levels, header_rng, "raw" in shaped)
        if "jsonl" in shaped:
            owner, episode = events.owner[order], events.episode[order]
            context = (pl.DataFrame({"k": self.context_key.gather(events.owner_kind), "i": ids})
                       .select(pl.concat_str(["k", "i", pl.lit('","session":"'), "i", pl.lit('"')])).to_series())
            columns["x"] = pl.concat([context, pl.Series([""])]).gather(_or_last(owner, ids))
            anomalies = self._anomaly_table(events, ids)
            caused = _or_last(episode, anomalies[:-1])
            columns["a"] = anomalies.gather(caused)
            columns["lab"] = pl.Series(np.where(episode >= 0, "1", "0"))
        return pl.DataFrame(columns)

    @staticmethod
    def _items(shape: str, text: _MessageText, slots: int, layout: _LayoutText | None) -> list[str | pl.Expr]:
        """A line of ``shape`` for one message: literal strings and column expressions, in order."""
        how = _SHAPES[shape]
        message: list[str | pl.Expr] = []
        for k, piece in enumerate(text.escaped[how]):
            message.append(piece)
            if k < slots:
                message.append(pl.col(f"v{k}"))
        if shape == "content":
            return message
        stamp = [pl.col(f"s_{shape}"), pl.col("f")]
        if layout is not None and shape == "raw":
            return [*layout.items(message), "\n"]
        if shape == "jsonl":
            level = text.level if layout is None else pl.col("Lj")
            return ['{"content":"', *message, *stamp, text.json_head, level, text.json_tail, pl.col("lab"),
                    text.json_error, pl.col("a"), pl.col("x"), "}}\n"]
        if shape == "raw":
            return [*stamp, text.raw_prefix, *message, "\n"]
        prefix = [text.csv_prefix] if layout is None else [text.csv_head, pl.col("L"), text.csv_tail]
        return [*stamp, *prefix, *message, text.csv_suffix]

    def _anomaly_table(self, events: ShardEvents, ids: pl.Series) -> pl.Series:
        """The attributes of each local episode (``,"anomaly":TYPE,"anomaly_id":ID``): the calendar's, then
        anomalous sessions', then nothing."""
        calendar = [f',"anomaly":"{_json(e.type)}","anomaly_id":"{_json(e.id)}"' for e in events.episodes]
        owners = events.session_episode_owner
        kinds = events.owner_kind[owners] - 1 if len(owners) else np.zeros(0, np.int32)
        sessions = (pl.DataFrame({"i": ids.gather(owners), "t": pl.Series(self.session_type or [""]).gather(kinds)})
                    .select(pl.concat_str([pl.lit(',"anomaly":"'), "t", pl.lit('","anomaly_id":"'), "i", pl.lit('"')]))
                    .to_series())
        return pl.concat([pl.Series(calendar, dtype=pl.String), sessions, pl.Series([""])])

    @staticmethod
    def _values(param: Param, k: int, text: _MessageText, rows: np.ndarray, owner: np.ndarray, ids: pl.Series,
                numbers: pl.Series, rng: np.random.Generator,
                owner_number: np.ndarray | None = None) -> pl.Series | np.ndarray:
        n = len(rows)
        if param.kind == "shape":  # keyed by the owners' run-wide numbers, so an entity is the same in every shard
            owners = owner[rows]
            keys = owners if owner_number is None or not len(owner_number) else owner_number[np.maximum(owners, 0)]
            return sample_column(param.shape, rng, n, owners=keys.astype(np.uint64), owned=owners >= 0)
        if param.kind == "int":
            return pl.Series(rng.integers(int(param.min), int(param.max) + 1, n)).cast(pl.String)
        if param.kind == "float":
            return _fixed_point(rng.uniform(param.min, param.max, n), param.decimals)
        if param.kind == "choice":
            return rng.choice(len(param.values), n, p=text.weights[k])
        if param.kind == "ip":
            octets = [pl.Series(rng.integers(lo, hi, n)).cast(pl.String) for lo, hi in ((0, 256), (0, 256), (1, 255))]
            return (pl.DataFrame({"a": octets[0], "b": octets[1], "c": octets[2]})
                    .select(pl.concat_str([pl.lit("10"), "a", "b", "c"], separator=".")).to_series())
        if param.kind == "hex":
            digits = rng.integers(0, 16, (param.length, n))
            return (pl.DataFrame({f"d{i}": _HEX.gather(d) for i, d in enumerate(digits)})
                    .select(pl.concat_str(pl.all())).to_series())
        table = ids if param.kind == "session" else numbers
        return _with_blank(table).gather(_or_last(owner[rows], table))


def _escape_shaped(values: pl.Series, how: str, quoted: bool) -> pl.Series:
    """Drawn values as text of one format (their literal pieces may hold quotes or backslashes)."""
    if how == "json":
        return values.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    if how == "csv" and quoted:
        return values.str.replace_all('"', '""', literal=True)
    return values


class _LayoutText:
    """A spec's layout ready for rendering: per header, how its column is made (see
    :class:`synthlog.stats.spec.HeaderField`), and per message its level words and fixed header values as
    index tables with probabilities."""

    def __init__(self, compiled: CompiledSpec):
        layout = compiled.spec.layout
        self.fields = layout.fields
        parsed = LogFormat.parse(layout.format)
        self.literals = parsed.literals
        self.optional = parsed.optional or (None,) * len(parsed.headers)  # text around an optional header
        self.clocks = {f.name: (TimeRenderer(f.time_format), round(f.offset * US)) for f in layout.fields
                       if f.kind == "time"}
        self.free = {f.name: _MessageText(Message(id="header", template=f.template, params=f.params), "", "",
                                          f.template) for f in layout.fields if f.kind == "value"}
        self.per_session = {f.name for f in layout.fields if f.kind == "value" and f.per_session}
        index = {m.id: i for i, m in enumerate(compiled.messages)}
        self.empty = {f.name: np.array(sorted(index[m] for m in f.empty_for if m in index), dtype=np.int64)
                      for f in layout.fields if f.kind == "value" and f.empty_for}
        carries = {f.name: _carry_table(f.carry, index) for f in layout.fields if f.kind == "value" and f.carry}
        self.carry = {name: table for name, table in carries.items() if len(table[1])}
        messages = compiled.messages
        words = sorted({w for m in messages for w in (m.levels or {m.level: 1.0})})
        self.level_table = pl.Series(words, dtype=pl.String)
        self.level_json = pl.Series([_json(w) for w in words], dtype=pl.String)
        self.levels = [_choice_table(m.levels or {m.level: 1.0}, words) for m in messages]
        self.fixed: dict[str, tuple[pl.Series, list[tuple[np.ndarray, np.ndarray]]]] = {}
        for f in layout.fields:
            if f.kind == "message":
                values = sorted({f.default} | {v for m in messages for v in m.fields.get(f.name, {})})
                self.fixed[f.name] = (pl.Series(values, dtype=pl.String),
                                      [_choice_table(m.fields.get(f.name) or {f.default: 1.0}, values)
                                       for m in messages])

    @staticmethod
    def generators(rng: np.random.Generator) -> tuple[np.random.Generator, np.random.Generator]:
        """Generators for level words and for header values, seeded by one draw of ``rng``."""
        seeds = np.random.SeedSequence(int(rng.integers(0, 2**63))).spawn(2)
        return np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])

    @staticmethod
    def _groups(events: ShardEvents, order: np.ndarray) -> list[tuple[int, int, int]]:
        """(message, first, end) of each run of one message in message-sorted order."""
        message = events.message[order]
        starts = np.flatnonzero(np.r_[True, message[1:] != message[:-1]])
        bounds = zip(starts.tolist(), [*starts[1:].tolist(), len(message)], strict=True)
        return [(int(message[a]), a, b) for a, b in bounds]

    def levels_of(self, events: ShardEvents, order: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each line's level word (index into ``level_table``), drawn from its message's ``levels``, in
        message-sorted order."""
        return _draw(self._groups(events, order), self.levels, len(order), rng)

    def columns(self, events: ShardEvents, order: np.ndarray, absolute: np.ndarray, ids: pl.Series,
                level: np.ndarray, rng: np.random.Generator, raw: bool) -> dict[str, pl.Series]:
        """The per-line columns of the layout, in message-sorted order (``order``): the level word (``L``, and
        ``Lj`` escaped for JSON) and, for the raw log, every time, message-fixed and free header."""
        out = {"L": self.level_table.gather(level), "Lj": self.level_json.gather(level)}
        if not raw:
            return out
        groups = self._groups(events, order)
        for name, (table, per_message) in self.fixed.items():
            out[f"H_{name}"] = table.gather(_draw(groups, per_message, len(order), rng))
        for name, (clock, offset) in self.clocks.items():
            out[f"H_{name}"] = clock.many(absolute + offset)
        numbers = ids.str.extract(r"(-?\d+)$").fill_null("")
        owners = np.arange(len(events.owner_number) + 1, dtype=np.int64)
        owners[-1] = -1  # lines of no request or session share one value
        for name, text in self.free.items():
            if name in self.per_session:  # one value per owner, gathered onto its lines
                rows, owner = owners, owners
            else:
                rows, owner = order, events.owner
            values = [Renderer._values(p, k, text, rows, owner, ids, numbers, rng, events.owner_number)
                      for k, p in enumerate(text.params)]
            columns = {f"v{k}": text.choices["raw"][k].gather(v) if isinstance(v, np.ndarray) else v
                       for k, v in enumerate(values)}
            items = Renderer._items("content", text, len(values), None)
            frame = pl.DataFrame(columns) if columns else pl.DataFrame({"n": np.zeros(len(rows))})
            column = frame.select(_concat(items) if columns else pl.lit("".join(items))).to_series()
            if name in self.per_session:
                column = column.gather(_or_last(events.owner[order], owners[:-1]))
            if name in self.carry:
                column = column.gather(_carried(events, order, self.carry[name], rng))
            if name in self.empty:  # the header's messages that write it empty
                column = column.set(pl.Series(np.isin(events.message[order], self.empty[name])), "")
            out[f"H_{name}"] = column
        return out

    def items(self, message: list[str | pl.Expr]) -> list[str | pl.Expr]:
        """A raw line of the layout: literal text between the headers, each header's column, the message."""
        out: list[str | pl.Expr] = [self.literals[0]]
        for f, literal, optional in zip(self.fields, self.literals[1:], self.optional, strict=True):
            if f.kind == "content":
                out += message
            else:
                column = pl.col("L") if f.kind == "level" else pl.col(f"H_{f.same_as if f.kind == 'copy' else f.name}")
                out.append(column if optional is None else
                           pl.when(column == "").then(column).otherwise(pl.concat_str([pl.lit(optional[0]), column,
                                                                                       pl.lit(optional[1])])))
            out.append(literal)
        return out


def _choice_table(weights: dict[str, float], values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``values`` of a weighted choice and their cumulative probabilities."""
    keys = [k for k in sorted(weights) if weights[k] > 0] or sorted(weights)
    where = {v: i for i, v in enumerate(values)}
    total = sum(weights[k] for k in keys) or 1.0
    return np.array([where[k] for k in keys], dtype=np.int64), np.cumsum([weights[k] / total for k in keys])


_CarryTable = tuple[int, np.ndarray, np.ndarray]


def _carry_table(carry: dict[str, dict[str, float]], index: dict[str, int]) -> _CarryTable:
    """A header's carry as the catalogue's size, sorted transition keys (message * size + next message) and their
    probabilities; messages the catalogue lacks are left out."""
    size = len(index)
    table = {index[a] * size + index[b]: p for a, row in carry.items() if a in index
             for b, p in row.items() if b in index}
    keys = np.array(sorted(table), dtype=np.int64)
    return size, keys, np.array([table[k] for k in keys.tolist()], dtype=np.float64)


def _carried(events: ShardEvents, order: np.ndarray, table: _CarryTable, rng: np.random.Generator) -> np.ndarray:
    """Per line in message-sorted order, the message-sorted place of the line whose value it writes: its own, or
    with its transition's carry probability that of the line before it of its request or session (whose value
    may be carried from further back: a forward fill over each owner's lines). Lines of no owner never carry."""
    size, keys, probabilities = table
    n = len(order)
    by_owner = np.argsort(events.owner, kind="stable")  # each owner's lines in session order: a shard is in time order
    owner = events.owner[by_owner]
    message = events.message[by_owner].astype(np.int64)
    follows = np.r_[False, (owner[1:] == owner[:-1]) & (owner[1:] >= 0)]
    pair = np.r_[0, message[:-1] * size + message[1:]]
    at = np.minimum(np.searchsorted(keys, pair), len(keys) - 1)
    carry = np.where(follows & (keys[at] == pair), probabilities[at], 0.0)
    keeps = rng.random(n) < carry
    source = by_owner[np.maximum.accumulate(np.where(keeps, 0, np.arange(n)))]
    line_source = np.empty(n, dtype=np.int64)
    line_source[by_owner] = source
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return inverse[line_source[order]]


def _draw(groups: list[tuple[int, int, int]], tables: list[tuple[np.ndarray, np.ndarray]], n: int,
          rng: np.random.Generator) -> np.ndarray:
    """One weighted choice per line, each line's from its message's table (lines grouped by message)."""
    out = np.zeros(n, dtype=np.int64)
    for m, a, b in groups:
        indices, cumulative = tables[m]
        if len(indices) == 1:
            out[a:b] = indices[0]
        else:
            pick = np.searchsorted(cumulative, rng.random(b - a) * cumulative[-1], side="right")
            out[a:b] = indices[np.minimum(pick, len(indices) - 1)]
    return out


def _hex_ids(numbers: pl.Series, owner_number: np.ndarray, length: np.ndarray) -> pl.Series:
    """Owner numbers written as their last ``length`` hex digits where ``length`` > 0, as they are elsewhere."""
    width = int(length.max())
    digits = [(owner_number >> np.uint64(4 * k)) & np.uint64(15) for k in range(width - 1, -1, -1)]
    text = (pl.DataFrame({f"d{i}": _HEX.gather(d.astype(np.int64)) for i, d in enumerate(digits)})
            .select(pl.concat_str(pl.all())).to_series())
    hexed = text.str.slice(pl.Series(width - length.clip(1, None)))
    return pl.select(pl.when(pl.Series(length > 0)).then(hexed).otherwise(numbers)).to_series()


def _with_blank(table: pl.Series) -> pl.Series:
    return pl.concat([table, pl.Series([""], dtype=pl.String)])


def _or_last(index: np.ndarray, table: pl.Series) -> np.ndarray:
    """Indices into ``table`` + one extra entry, where -1 (no owner, no episode) points at the extra one."""
    return np.where(index >= 0, index, len(table))


def _fixed_point(values: np.ndarray, decimals: int) -> pl.Series:
    """Numbers written with exactly ``decimals`` digits after the point."""
    scaled = np.rint(values * 10**decimals).astype(np.int64)
    if decimals == 0:
        return pl.Series(scaled).cast(pl.String)
    whole = pl.Series(np.abs(scaled) // 10**decimals).cast(pl.String)
    part = pl.Series(np.abs(scaled) % 10**decimals + 10**decimals).cast(pl.String).str.slice(1)
    sign = pl.Series(np.where(scaled < 0, "-", ""), dtype=pl.String)
    return pl.DataFrame({"s": sign, "w": whole, "f": part}).select(pl.concat_str(["s", "w", pl.lit("."), "f"])
                                                                  ).to_series()


def _concat(items: list[str | pl.Expr]) -> pl.Expr:
    """``concat_str`` of literals and columns, adjacent literals merged into one."""
    merged: list[str | pl.Expr] = []
    for item in items:
        if isinstance(item, str) and merged and isinstance(merged[-1], str):
            merged[-1] += item
        elif not (isinstance(item, str) and not item):
            merged.append(item)
    return pl.concat_str([pl.lit(i) if isinstance(i, str) else i for i in merged])


def _narrow(index: np.ndarray) -> np.ndarray:
    """Small non-negative indices as int16 when they fit: numpy sorts those with a radix sort."""
    return index.astype(np.int16) if len(index) and index.max() < 2**15 else index
