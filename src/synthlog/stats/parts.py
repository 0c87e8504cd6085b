"""Part files written by the workers themselves (``--shard-lines N``): ``NAME.jsonl/part-00000.jsonl``, ...

A run cut into parts writes each text format as a folder named like the one file it would otherwise be, holding
``part-00000.<ext>``, ``part-00001.<ext>``, ... of about N lines each. Part ``p`` is the lines of simulated time
``[start, end)`` of a run of consecutive shards (see :mod:`synthlog.stats.shards`), so the parts are consecutive
time ranges and their concatenation is the whole run in time order. Two tasks per part, both on the executor:

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

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthlog.io.atomic import MANIFEST
from synthlog.stats import shards as sharding
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.shards import Block, _Labels, _merge, plan, render_shard, shard_span
from synthlog.stats.spec import Spec
from synthlog.stats.writers import STRUCTURED_HEADER, RunWriter, write_column

PENDING = ".pending-parts"
EXTENSIONS = {"jsonl": "jsonl", "raw": "log", "csv": "csv"}
NARROW = ("t", "text", "episode", "shard", "owner")  # what labels, template counts and windows read
_EMPTY = pa.scalar("", pa.large_string())


@dataclass(slots=True)
class Staged:
    """What :func:`stage_part` hands the driver: the narrow columns of the part's own lines (time order), the
    lines carried past ``end`` (all columns) and each shard's label rows."""

    part: int
    end: int
    lines: pa.Table
    carry: pa.Table
    owners: list[tuple[int, pa.Table]]


@dataclass(frozen=True, slots=True)
class PartFile:
    """One written part: its output (``NAME.jsonl``), name, lines, sha256 and first/last line time (UTC)."""

    output: str
    name: str
    lines: int
    sha256: str
    first: str | None
    last: str | None


def part_name(part: int, fmt: str) -> str:
    return f"part-{part:05d}.{EXTENSIONS[fmt]}"


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


class _Hashing:
    """A binary file that hashes what it is given to write."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data) -> None:
        self.digest.update(data)
        self.handle.write(data)


def write_part(pending: str, part: int, carried: pa.Table | None, offset: int, limit: int | None,
               formats: tuple[str, ...], folders: dict[str, str], start_us: int) -> list[PartFile]:
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
        first, last = (None, None) if not len(lines) else (_iso(start_us, pc.min(times)), _iso(start_us, pc.max(times)))
        for fmt in formats:
            target = Path(folders[fmt]) / part_name(part, fmt)
            with open(target, "wb") as handle:
                out = _Hashing(handle)
                if fmt == "csv":
                    out.write(STRUCTURED_HEADER.encode())
                    ids = pa.array(np.arange(offset + 1, offset + len(lines) + 1)).cast(pa.large_string())
                    write_column(out, pc.binary_join_element_wise(ids, lines["csv"], _EMPTY))
                else:
                    write_column(out, lines[fmt])
            written.append(PartFile(Path(folders[fmt]).name, target.name, len(lines), out.digest.hexdigest(),
                                    first, last))
    staged.unlink()
    return written


def _iso(start_us: int, t: pa.Scalar) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start_us + t.as_py())
    return f"{moment:%Y-%m-%dT%H:%M:%S.%fZ}"


def write_parts(spec: Spec, seed: int, formats: tuple[str, ...], horizon: int | None, n_lines: int | None,
                shard_lines: int, run_on, stage: Path, writer: RunWriter, advance) -> list[PartFile]:
    """Run the simulation as parts written by ``run_on``'s workers into ``stage``; the driver keeps the labels,
    template counts and windows (``writer``, opened without line formats) and the parts' manifest entry."""
    compiled = CompiledSpec(spec)
    spec_json = spec.model_dump_json()
    start = spec.start
    start_us = int(start.timestamp()) * US + start.microsecond
    pending = stage / PENDING
    pending.mkdir()
    folders = {fmt: stage / writer.paths[fmt].name for fmt in formats}
    for folder in folders.values():
        folder.mkdir()
    tasks = ((spec_json, seed, horizon, part, shards, formats, str(pending))
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
                   {fmt: str(folder) for fmt, folder in folders.items()}, start_us)
            if last:
                return
            offset += len(narrow)
            if remaining is not None:
                remaining -= len(narrow)

    files = [file for written in run_on.map(write_part, finishing()) for file in written]
    shutil.rmtree(pending)  # parts past a --lines cut were staged but never written
    parts: dict[str, list[dict]] = {}
    for file in files:
        entry = asdict(file)
        parts.setdefault(entry.pop("output"), []).append(entry)
    with open(stage / MANIFEST, "w", encoding="utf-8") as fh:  # folded into the output manifest
        json.dump({"parts": parts}, fh)
    return files
