"""Part files written by the workers themselves (``--shard-lines N``): ``NAME.jsonl/part-00000.jsonl``, ...

A run cut into parts writes each format as a folder named like the one file it would otherwise be, holding
``part-00000.<ext>``, ``part-00001.<ext>``, ... of about N lines each (:mod:`synthlog.io.partfiles`), through the
writers of :mod:`synthlog.io.writers` (``parquet`` and ``otel`` parts from the lines' event records). Part ``p``
is the lines of simulated time ``[start, end)`` of a run of consecutive shards (see :mod:`synthlog.stats.shards`),
so the parts are consecutive time ranges and their concatenation is the whole run in time order. Two tasks per
part, both on the executor:

1. :func:`stage_part` renders the part's shards and stages their own lines (an Arrow IPC file beside the parts);
   it returns only what the driver needs: the narrow columns of those lines (time, template, episode, owner) for
   labels and counts, the lines carried past the part's end, and the label rows of its shards.
2. :func:`write_part` merges the lines carried into the part from earlier parts (the driver hands them over: a
   pure function of the seed) and writes the part's files, returning their line counts, sha256 and time range.

No line of a part passes through the driver, yet every part is a pure function of the spec, seed and N: the same
bytes for any number of workers or scheduler. The workers need the output folder on storage they share with the
driver. The list of parts goes into the output manifest (``.synthlog-manifest.json``, key ``parts``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthlog.io.partfiles import PartFile, finished_part, part_name, write_part_manifest
from synthlog.io.writers import LINE_FORMATS, file_name, open_writer
from synthlog.stats import shards as sharding
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.eventrecords import EventRecords
from synthlog.stats.shards import Block, _Labels, _merge, plan, render_shard, shard_span
from synthlog.stats.spec import Spec
from synthlog.stats.writers import STRUCTURED_HEADER, RunWriter

PENDING = ".pending-parts"
NARROW = ("t", "text", "episode", "shard", "owner")  # what labels, template counts and windows read


@dataclass(slots=True)
class Staged:
    """What :func:`stage_part` hands the driver: the narrow columns of the part's own lines (time order), the
    lines carried past ``end`` (all columns) and each shard's label rows."""

    part: int
    end: int
    lines: pa.Table
    carry: pa.Table
    owners: list[tuple[int, pa.Table]]


def part_plan(compiled: CompiledSpec, horizon: int | None, shard_lines: int):
    """(part, shards) for every part of about ``shard_lines`` lines: shards of at most the simulator's own
    size, so parts of 100,000 lines or more are runs of the very shards a one-file run makes."""
    target = min(sharding.TARGET_LINES, shard_lines)
    per_shard = compiled.expected_lines_per_second() * shard_span(compiled, target) / US
    group = max(1, round(shard_lines / per_shard))
    planned = plan(compiled, horizon, target)
    part = 0
    while chunk := tuple(islice(planned, group)):
        yield part, chunk
        part += 1


def stage_part(spec_json: str, seed: int, horizon: int | None, part: int, shards: tuple[tuple[int, int, int], ...],
               formats: tuple[str, ...], pending: str) -> Staged:
    """Render the part's shards, stage the lines before the part's end in ``pending`` (a worker task)."""
    carry: pa.Table | None = None
    owners, narrow = [], []
    writer = None
    try:
        for index, start, end in shards:
            shard = render_shard(spec_json, seed, horizon, index, start, end, formats)
            lines = shard.lines if carry is None else _merge(carry, shard.lines)
            cut = int(np.searchsorted(lines["t"].to_numpy(), end, side="left"))
            block, carry = lines.slice(0, cut), lines.slice(cut)
            if writer is None:
                writer = pa.ipc.new_file(str(Path(pending) / f"part-{part:05d}.arrow"), block.schema)
            writer.write_table(block)
            narrow.append(block.select(NARROW))
            owners.append((index, shard.owners))
    finally:
        if writer is not None:
            writer.close()
    return Staged(part, shards[-1][2], _compact(pa.concat_tables(narrow)), _compact(carry), owners)


def _compact(table: pa.Table) -> pa.Table:
    """A copy holding only its own rows: a slice pickles its parent's whole buffers (every format's text)."""
    return table.take(pa.array(np.arange(len(table))))


@lru_cache(maxsize=4)
def _records(spec_json: str) -> EventRecords:
    """Per-process cache, so workers compile each run's spec once for its event records."""
    return EventRecords(CompiledSpec(Spec.model_validate_json(spec_json)))


def write_part(pending: str, part: int, carried: pa.Table | None, offset: int, limit: int | None,
               formats: tuple[str, ...], folders: dict[str, str], start_us: int, spec_json: str) -> list[PartFile]:
    """Write part ``part``'s files from its staged lines and the lines ``carried`` into it (a worker task);
    ``offset`` is the number of lines before the part (the CSV's LineId), ``limit`` cuts the run's last part."""
    staged = Path(pending) / f"part-{part:05d}.arrow"
    written = []
    with pa.memory_map(str(staged)) as source:
        lines = pa.ipc.open_file(source).read_all()
        if carried is not None and len(carried):
            lines = _merge(carried, lines)
        if limit is not None:
            lines = lines.slice(0, limit)
        times = lines["t"]
        first, last = (None, None) if not len(lines) else (start_us + pc.min(times).as_py(),
                                                           start_us + pc.max(times).as_py())
        for fmt in formats:
            target = Path(folders[fmt]) / part_name(part, fmt)
            service = _records(spec_json).name if fmt not in LINE_FORMATS else ""
            with open_writer(fmt, target, service=service, csv_rows=STRUCTURED_HEADER, first_line_id=offset + 1) as out:
                if fmt in LINE_FORMATS:
                    out.write_column(lines[fmt])
                else:
                    for event, session_id in _records(spec_json).of_block(lines):
                        out.send(event, session_id)
            written.append(finished_part(target, len(lines), first, last))
    staged.unlink()
    return written


def write_parts(spec: Spec, seed: int, formats: tuple[str, ...], columns: tuple[str, ...], horizon: int | None,
                n_lines: int | None, shard_lines: int, run_on, stage: Path, writer: RunWriter,
                advance) -> list[PartFile]:
    """Run the simulation as parts written by ``run_on``'s workers into ``stage``; the driver keeps the labels,
    template counts and windows (``writer``, opened without line formats) and the parts' manifest entry.
    ``formats`` are the formats to write (line and event formats); ``columns`` the rendered columns they need."""
    compiled = CompiledSpec(spec)
    spec_json = spec.model_dump_json()
    start = spec.start
    start_us = int(start.timestamp()) * US + start.microsecond
    pending = stage / PENDING
    pending.mkdir()
    folders = {fmt: stage / file_name(spec.name, fmt) for fmt in formats}
    for folder in folders.values():
        folder.mkdir()
    tasks = ((spec_json, seed, horizon, part, shards, columns, str(pending))
             for part, shards in part_plan(compiled, horizon, shard_lines))

    def finishing():
        """The write task of every staged part, in order; labels and counts written here on the way."""
        carry: pa.Table | None = None
        remaining, offset = n_lines, 0
        labels = _Labels()
        for staged in run_on.map(stage_part, tasks):
            carried = None
            if carry is not None and len(carry):
                cut = int(np.searchsorted(carry["t"].to_numpy(), staged.end, side="left"))
                carried, carry = carry.slice(0, cut), _merge(carry.slice(cut), staged.carry)
            else:
                carry = staged.carry
            narrow = staged.lines if carried is None else _merge(carried.select(NARROW), staged.lines)
            last = remaining is not None and len(narrow) >= remaining
            if last:
                narrow = narrow.slice(0, remaining)
            for index, owners in staged.owners:
                labels.add(index, owners)
            labels.written(narrow)
            oldest = None if last or not len(carry) else pc.min(carry["shard"]).as_py()
            writer.write(Block(narrow, labels.settled(oldest)))
            advance(narrow)
            yield (str(pending), staged.part, carried, offset, remaining if last else None, formats,
                   {fmt: str(folder) for fmt, folder in folders.items()}, start_us, spec_json)
            if last:
                return
            offset += len(narrow)
            if remaining is not None:
                remaining -= len(narrow)

    files = [file for written in run_on.map(write_part, finishing()) for file in written]
    shutil.rmtree(pending)  # parts past a --lines cut were staged but never written
    write_part_manifest(stage, files)
    return files
