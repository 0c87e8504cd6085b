"""Cut a run into independently seeded time-slice shards, run them here or on dask, merge them in time order.

Shard ``k`` covers simulated time ``[k*span, (k+1)*span)`` and draws from the seed sequence child
``SeedSequence(seed, spawn_key=(0, k))`` (what ``SeedSequence(seed).spawn`` would hand its k-th child). The span
depends only on the spec, never on the number of workers, so any executor produces the same shards. Lines a shard
causes after its end (long causal lags, late flow lines) are carried by the driver and merged, by time, into the
next blocks; ties keep the earlier shard first. Output is therefore byte-identical for any worker count.
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synthlog.errors import InputError
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.events import SHARDS, ShardGenerator
from synthlog.stats.render import Renderer
from synthlog.stats.spec import Spec

TARGET_LINES = 100_000  # lines per shard aimed at: big enough for vectorising, small enough for flat memory
MAX_SPAN_SECONDS = 7 * 86400
# Peak memory per line of a shard, all formats written: 2.2 KB measured (payment spec at 0.7 and 7 million lines
# per 1 s shard: 1.77 and 15.2 GB peak RSS), rounded up.
BYTES_PER_LINE = 2500
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
RENDER_STREAM = 1  # seed stream (below the shard's) for parameter values
_NO_OWNERS = pa.table({"id": pa.array([], pa.large_string()), "number": pa.array([], pa.uint64()),
                       "anomalous": pa.array([], pa.bool_())})


def shard_span(compiled: CompiledSpec, target: int | None = None) -> int:
    """Whole seconds of simulated time per shard of about ``target`` lines (default TARGET_LINES; 1 s to 1
    week), in microseconds."""
    seconds = (target or TARGET_LINES) / compiled.expected_lines_per_second()
    return int(min(max(round(seconds), 1), MAX_SPAN_SECONDS)) * US


def default_memory_budget() -> int:
    """Half of this machine's physical memory: room for the run and for everything else running beside it."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError):
        return 4 << 30


def parse_size(text: str) -> int:
    """Bytes from ``"4G"``, ``"512M"``, ``"1.5GiB"`` or a plain number of bytes."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"cannot read {text!r} as a memory size (examples: 512M, 4G)")
    size = float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " ")
    if not 0 < size < 2**62:
        raise ValueError(f"a memory size is above zero and below 4 EiB, not {text!r}")
    return int(size)


def check_memory(compiled: CompiledSpec, workers: int, budget: int, parts: bool = False) -> None:
    """Refuse, with the numbers, a run whose shards would not fit ``budget`` bytes: a shard spans at least 1 s
    of simulated time, so a spec logging millions of lines per second cannot be cut small enough. With
    ``parts`` (workers write part files) the driver's look-ahead holds about 30 bytes a line: not counted."""
    rate = compiled.expected_lines_per_second()
    lines = rate * shard_span(compiled) / US
    # dask: each worker's shard plus, unless the workers write parts, the driver's look-ahead of 2 per worker
    in_flight = 1 if workers <= 1 else workers if parts else 3 * workers
    needed = lines * BYTES_PER_LINE * in_flight
    if needed > budget:
        raise InputError(f"a shard of this spec holds about {lines:,.0f} lines ({rate:,.0f} lines per second of "
                         f"simulated time, shards of at least 1 s): about {needed / 2**30:,.1f} GiB with {workers} "
                         f"worker(s), above the memory budget of {budget / 2**30:,.1f} GiB; lower the spec's rates "
                         "or raise --max-memory", field="--max-memory")


@dataclass(slots=True)
class Shard:
    """A rendered shard: its lines (Arrow columns ``t``, ``text``, ``episode``, ``owner`` and one large string
    column per text format) in time order, and a label row per request or session it started (``id``,
    ``number``, ``anomalous``). Arrow tables travel between processes without conversion and are written
    straight from their buffers."""

    index: int
    end: int
    lines: pa.Table
    owners: pa.Table


@lru_cache(maxsize=4)
def _machinery(spec_json: str, seed: int, horizon: int | None) -> tuple[ShardGenerator, Renderer]:
    """Per-process cache, so workers compile each run's spec once."""
    compiled = CompiledSpec(Spec.model_validate_json(spec_json))
    return ShardGenerator(compiled, seed, horizon), Renderer(compiled)


def render_shard(spec_json: str, seed: int, horizon: int | None, index: int, start: int, end: int,
                 formats: tuple[str, ...]) -> Shard:
    """Generate and render one shard; a pure function of its arguments (this is what workers run)."""
    generator, renderer = _machinery(spec_json, seed, horizon)
    events = generator.generate(index, start, end)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SHARDS, index, RENDER_STREAM)))
    owners = renderer.owner_ids(events)
    text = renderer.render(events, formats, rng, owners)
    numbers = np.append(events.owner_number, np.uint64(0))[events.owner]  # -1 (no owner) picks the 0, nulled
    lines = pa.table({"t": events.time, "text": events.text, "episode": events.episode >= 0,
                      "shard": np.full(len(events), index, dtype=np.int32),
                      "owner": pa.array(numbers, mask=events.owner < 0),
                      **{name: _large(column) for name, column in text.items()}})
    order = np.argsort(events.owner_first, kind="stable")
    labels = pa.table({"id": _large(owners[0]), "number": events.owner_number,
                       "anomalous": np.zeros(len(order), dtype=bool)})  # set by the driver from written lines
    return Shard(index, end, lines, labels.take(order))


def _large(column: pl.Series) -> pa.Array:
    array = column.to_arrow()
    return array if array.type == pa.large_string() else array.cast(pa.large_string())


def plan(compiled: CompiledSpec, horizon: int | None, target: int | None = None) -> Iterator[tuple[int, int, int]]:
    """(index, start, end) of every shard of about ``target`` lines, endless when there is no horizon."""
    span = shard_span(compiled, target)
    count = math.ceil(horizon / span) if horizon is not None else None
    index = 0
    while count is None or index < count:
        start = index * span
        yield index, start, min(start + span, horizon) if horizon is not None else start + span
        index += 1


class LocalExecutor:
    """Runs shards one after the other in this process."""

    def map(self, tasks: Iterator[tuple]) -> Iterator[Shard]:
        for task in tasks:
            yield render_shard(*task)


class ShardExecutor:
    """Runs shards on an executor of :mod:`synthlog.execute` (a LocalCluster or an existing dask scheduler),
    a bounded number ahead, returning them in order."""

    def __init__(self, run_on):
        self.run_on = run_on

    def map(self, tasks: Iterator[tuple]) -> Iterator[Shard]:
        return self.run_on.map(render_shard, tasks)


@dataclass(slots=True)
class Block:
    """Lines ready to write, in final order, and the label rows that go with them."""

    lines: pa.Table
    owners: pa.Table


def blocks(spec: Spec, seed: int, formats: tuple[str, ...], horizon: int | None = None,
           n_lines: int | None = None, executor=None) -> Iterator[Block]:
    """The run's lines in time order, block by block (about one shard each); stops at the horizon or n_lines."""
    compiled = CompiledSpec(spec)
    spec_json = spec.model_dump_json()
    tasks = ((spec_json, seed, horizon, index, start, end, formats) for index, start, end in plan(compiled, horizon))
    carry: pa.Table | None = None
    remaining = n_lines
    labels = _Labels()
    for shard in (executor or LocalExecutor()).map(tasks):
        lines = shard.lines if carry is None else _merge(carry, shard.lines)
        cut = int(np.searchsorted(lines["t"].to_numpy(), shard.end, side="left"))
        block, carry = lines.slice(0, cut), lines.slice(cut)
        last = remaining is not None and len(block) >= remaining
        if last:
            block = block.slice(0, remaining)
        labels.add(shard.index, shard.owners)
        labels.written(block)
        oldest = None if last or not len(carry) else pc.min(carry["shard"]).as_py()
        yield Block(block, labels.settled(oldest))
        if last:
            return
        if remaining is not None:
            remaining -= len(block)


class _Labels:
    """Label rows of the requests and sessions whose lines may still be unwritten, settled shard by shard.

    A shard's rows are released once no line of that shard is still carried; each row is labeled from the lines
    actually written (so a run cut at ``n_lines`` labels what it wrote) and left out when none was written.
    """

    def __init__(self) -> None:
        self.pending: deque[tuple[int, pa.Table, np.ndarray, np.ndarray, np.ndarray]] = deque()

    def add(self, index: int, owners: pa.Table) -> None:
        numbers = owners["number"].to_numpy()
        self.pending.append((index, owners, numbers, np.zeros(len(numbers), bool), np.zeros(len(numbers), bool)))

    def written(self, block: pa.Table) -> None:
        owner = block["owner"]
        anomalous = pc.and_(block["episode"], pc.is_valid(owner))
        present = owner.drop_null().to_numpy()
        flagged = pc.filter(owner, anomalous).to_numpy()
        for _, _, numbers, seen, bad in self.pending:
            seen |= np.isin(numbers, present)
            bad |= np.isin(numbers, flagged)

    def settled(self, oldest_carried: int | None) -> pa.Table:
        """Rows of every pending shard older than ``oldest_carried`` (all of them when None), in shard order."""
        done = []
        while self.pending and (oldest_carried is None or self.pending[0][0] < oldest_carried):
            _, owners, _, seen, bad = self.pending.popleft()
            done.append(owners.set_column(owners.schema.get_field_index("anomalous"), "anomalous",
                                          pa.array(bad)).filter(pa.array(seen)))
        return pa.concat_tables(done) if done else _NO_OWNERS


def _merge(carry: pa.Table, lines: pa.Table) -> pa.Table:
    """Merge lines carried from earlier shards into a shard's lines by time, carried lines first on ties.

    Only the shard's lines up to the last carried time need sorting; the rest already follow in order.
    """
    if not len(carry):
        return lines
    overlap = int(np.searchsorted(lines["t"].to_numpy(), pc.max(carry["t"]).as_py(), side="right"))
    head = pa.concat_tables([carry, lines.slice(0, overlap)])
    head = head.take(np.argsort(head["t"].to_numpy(), kind="stable"))
    return pa.concat_tables([head, lines.slice(overlap)])
