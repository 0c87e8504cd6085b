"""The statistics-driven simulator's front door: ``StatsSynthesizer(spec).sample(...)`` and ``.write(...)``.

A discrete-event simulation, vectorised per shard (see :mod:`synthlog.stats.events` for what happens to a
request, :mod:`synthlog.stats.shards` for sharding and determinism): the same spec and seed give byte-identical
files for any number of workers, and memory stays flat because only one block (plus a few in flight) is held.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from synthlog.errors import ConfigError, InputError
from synthlog.execute import open_executor
from synthlog.io.atomic import atomic_directory
from synthlog.io.remote import local_output, storage_url
from synthlog.io.writers import EVENT_FORMATS, file_name
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, LogEvent, Session, Template
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.eventrecords import EventRecords
from synthlog.stats.render import FORMATS
from synthlog.stats.shards import (
    MAX_SPAN_SECONDS,
    Block,
    LocalExecutor,
    ShardExecutor,
    blocks,
    check_memory,
    default_memory_budget,
)
from synthlog.stats.spec import Spec, parse_duration
from synthlog.stats.specfile import load_spec
from synthlog.stats.writers import RunWriter

LAST_INSTANT = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()

if TYPE_CHECKING:
    from synthlog.stats.profile import ProfileOptions


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run wrote: the folder and its files as local paths, or as URLs for fsspec storage."""

    out_dir: Path | str
    lines: int
    sessions: int
    anomalous_sessions: int
    anomalous_lines: int
    files: tuple[Path | str, ...]

    @classmethod
    def of(cls, out_dir: str | os.PathLike[str], names: list[str], writer) -> RunSummary:
        """The summary of ``writer``'s run into ``out_dir`` (a URL stays a URL: ``Path`` would fold its ``//``)."""
        url = storage_url(out_dir)
        place = url.rstrip("/") if url is not None else Path(local_output(out_dir))
        files = tuple(f"{place}/{name}" if url is not None else place / name for name in names)
        return cls(place, writer.lines, writer.sessions, writer.anomalous_sessions, writer.anomalous_lines, files)


FILE_FORMATS = (*FORMATS, *EVENT_FORMATS)  # what --formats may name for a folder
FOLLOW_LINES = 1 << 62  # --follow: a run no one will wait for; Ctrl-C ends it


class StatsSynthesizer:
    """Synthesize labeled logs from a statistics spec, SDV-style.

    Build it from a spec (a :class:`Spec` or a YAML file), or from real logs with :meth:`fit`, which profiles them
    into a spec holding no raw value; then :meth:`sample_dataset` (a :class:`LabeledDataset`), :meth:`sample`
    (time-ordered chunks) or :meth:`write` (a data set folder). The fitted state is the spec itself, so
    :meth:`save` writes YAML and :meth:`load` reads it back (never a pickle).
    """

    def __init__(self, spec: Spec | str | os.PathLike[str] | None = None):
        self.spec = None
        if spec is not None:
            self._use(spec if isinstance(spec, Spec) else load_spec(spec))

    def _use(self, spec: Spec) -> None:
        self.spec = spec
        self.compiled = CompiledSpec(spec)

    def fit(self, data: LabeledDataset | Spec | str | os.PathLike[str], options: ProfileOptions | None = None,
            **load_options) -> StatsSynthesizer:
        """Profile ``data`` (a data set, real logs as :func:`synthlog.stats.profile.load_logs` reads them with
        ``load_options`` such as ``log_format``/``labels``, or a spec file to use as it is) and keep the spec."""
        from synthlog.stats.profile import load_logs, profile_dataset

        if isinstance(data, Spec):
            self._use(data)
        elif isinstance(data, str | os.PathLike) and Path(data).suffix in (".yaml", ".yml"):
            self._use(load_spec(data))
        else:
            dataset = data if isinstance(data, LabeledDataset) else load_logs(data, **load_options)
            self._use(profile_dataset(dataset, options=options)[0])
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted spec as YAML (atomically); :meth:`load` reads it back."""
        from synthlog.io.atomic import atomic_open
        from synthlog.stats.specfile import dump_spec

        with atomic_open(path, "w") as fh:
            fh.write(dump_spec(self._fitted()))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> StatsSynthesizer:
        return cls(path)

    def _fitted(self) -> Spec:
        if self.spec is None:
            raise InputError("this StatsSynthesizer has no spec yet: give one or call fit() first")
        return self.spec

    def sample_dataset(self, n_lines: int | None = None, duration: float | str | None = None,
                       seed: int = 0) -> LabeledDataset:
        """The simulated lines as a :class:`LabeledDataset`: one session per session id (request, entity), events
        in time order, a session anomalous when an anomaly episode caused one of its lines."""
        sessions: dict[str, Session] = {}
        for number, (event, sid) in enumerate(self.iter_events(n_lines=n_lines, duration=duration, seed=seed), 1):
            sid = sid if sid is not None else f"line-{number}"  # a background line is a session of its own
            session = sessions.get(sid)
            if session is None:
                session = sessions[sid] = Session(id=sid, label=NORMAL)
            session.events.append(event)
            if event.label == ANOMALY:
                session.label = ANOMALY
        templates = {event_id: Template(event_id, text) for text, event_id in self._template_texts()}
        return LabeledDataset(self.spec.name, list(sessions.values()), templates,
                              {"generator": "stats", "seed": seed})

    def iter_events(self, n_lines: int | None = None, duration: float | str | None = None,
                    seed: int = 0) -> Iterator[tuple[LogEvent, str | None]]:
        """``(event, session id)`` in time order (no session id for a line of no request or session), one at a time
        (memory stays flat however long the run); an event an anomaly episode caused is labeled ``ANOMALY``, the
        others ``NORMAL`` (see :mod:`synthlog.stats.eventrecords`)."""
        self._fitted()
        records = EventRecords(self.compiled)
        for block in self._blocks(n_lines, duration, seed, records.columns):
            yield from records.of_block(block.lines)

    def stream(self, target: str, fmt: str = "otel", n_lines: int | None = None,
               duration: float | str | None = None, seed: int = 0, rate: float | None = None,
               follow: bool = False) -> int:
        """Send the simulated events to ``target`` (``-``, ``syslog://``, ``otlp+http://``: see
        :mod:`synthlog.io.sinks`) at ``rate`` lines per second when given; ``follow`` keeps going until
        interrupted. Returns the number of events sent."""
        from synthlog.io.sinks import Pacer, open_sink

        if follow:
            n_lines, duration = FOLLOW_LINES, None
        pacer = Pacer(rate) if rate is not None else None
        sent = 0
        with open_sink(target, fmt, self._fitted().name) as sink:
            for event, session_id in self.iter_events(n_lines=n_lines, duration=duration, seed=seed):
                if pacer is not None:
                    pacer.wait()
                sink.send(event, session_id)
                sent += 1
        return sent

    def _template_texts(self) -> list[tuple[str, str]]:
        return [(template, event_id) for _, event_id, template in self.compiled.texts]

    def _limits(self, n_lines: int | None, duration: float | str | None) -> tuple[int | None, int | None]:
        if (n_lines is None) == (duration is None):
            raise InputError("give exactly one of a number of lines or a duration", field="--lines/--duration")
        if n_lines is not None and n_lines < 0:
            raise InputError(f"the number of lines cannot be negative ({n_lines})", field="--lines")
        if n_lines and not self.compiled.produces_lines():
            raise ConfigError("nothing in this spec ever logs (no service rate, no session rate, no episode with "
                              "lines of its own): no number of lines can be reached", field="--lines")
        horizon = None if duration is None else _microseconds(duration, "--duration")
        # simulated time must end within the calendar: a number of lines takes about n / rate seconds, plus a shard
        seconds = horizon / US if horizon is not None else (n_lines or 0) / self.compiled.expected_lines_per_second()
        seconds += 0 if horizon is not None else MAX_SPAN_SECONDS
        if self.spec.start.timestamp() + seconds >= LAST_INSTANT:
            raise InputError(f"the run would need about {seconds / 86400 / 365.25:,.0f} years of simulated time from "
                             f"{self.spec.start:%Y-%m-%d}, past the year 9999", field="--lines/--duration")
        return n_lines, horizon

    def sample(self, n_lines: int | None = None, duration: float | str | None = None, seed: int = 0,
               executor=None, max_memory: int | None = None) -> Iterator[pl.DataFrame]:
        """Time-ordered chunks of events as DataFrames: ``timestamp`` (UTC), ``service``, ``level``,
        ``error_type``, ``message``, ``template_id``, ``session_id``, ``anomalous`` (caused by an episode)."""
        self._fitted()
        compiled = self.compiled
        of_text = [(compiled.messages[m], compiled.message_service[m], event_id) for m, event_id, _ in compiled.texts]
        service = pl.Series([compiled.service_names[s] for _, s, _ in of_text])
        level = pl.Series([m.level for m, _, _ in of_text])
        error_type = pl.Series([m.error_type for m, _, _ in of_text], dtype=pl.String)
        template_id = pl.Series([event_id for _, _, event_id in of_text])
        start = int(self.spec.start.timestamp() * US)
        columns = ("content", "id", "level") if self.spec.layout is not None else ("content", "id")
        for block in self._blocks(n_lines, duration, seed, columns, executor, max_memory):
            lines = pl.from_arrow(block.lines)
            index = lines["text"]
            yield pl.DataFrame({
                "timestamp": (lines["t"] + start).cast(pl.Datetime("us", "UTC")),
                "service": service.gather(index),
                "level": lines["level"] if "level" in lines.columns else level.gather(index),  # a layout's words
                "error_type": error_type.gather(index), "message": lines["content"],
                "template_id": template_id.gather(index), "session_id": lines["id"],
                "anomalous": lines["episode"],
            })

    def _blocks(self, n_lines: int | None, duration: float | str | None, seed: int, columns: tuple[str, ...],
                executor=None, max_memory: int | None = None) -> Iterator[Block]:
        """The run's blocks in time order with the rendered ``columns``, in this process (or on ``executor``)."""
        n_lines, horizon = self._limits(n_lines, duration)
        check_memory(self.compiled, 1, default_memory_budget() if max_memory is None else max_memory)
        yield from blocks(self.spec, seed, columns, horizon=horizon, n_lines=n_lines, executor=executor)

    def write(self, out_dir: str | os.PathLike[str], n_lines: int | None = None, duration: float | str | None = None,
              seed: int = 0, workers: int = 1, formats: tuple[str, ...] = FORMATS, executor=None,
              label_window: float | str | None = None, max_memory: int | None = None,
              scheduler: str | None = None, shard_lines: int | None = None) -> RunSummary:
        """Run the simulation into ``out_dir``: NAME.jsonl (the event records of :mod:`synthlog.io.jsonl`),
        NAME.log, NAME.log_structured.csv,
        NAME.log_templates.csv, anomaly_label.csv (one row per request or session), with ``parquet`` / ``otel``
        among ``formats`` the event files of :mod:`synthlog.io.writers` and, with ``label_window``
        (seconds or e.g. ``"1m"``), window_label.csv (one row per window of simulated time). A run whose shards
        would not fit ``max_memory`` bytes (default: half the machine's memory) is refused before it starts.
        Shards run in this process, on a LocalCluster of ``workers`` or on the dask ``scheduler`` at that address
        (see :mod:`synthlog.execute`); the files are the same bytes in every case. With ``shard_lines`` each
        text format is a folder of part files of about that many lines, written by the workers themselves (see
        :mod:`synthlog.stats.parts`); ``executor`` is then one of :mod:`synthlog.execute`'s."""
        n_lines, horizon = self._limits(n_lines, duration)
        budget = default_memory_budget() if max_memory is None else max_memory
        check_memory(self.compiled, workers, budget, parts=shard_lines is not None)
        window = None if label_window is None else _microseconds(label_window, "--label-window")
        if window is not None and window <= 0:
            raise InputError("a label window must be longer than zero", field="--label-window")
        unknown = [f for f in formats if f not in FILE_FORMATS]
        if unknown:
            raise InputError(f"unknown format {unknown[0]!r} (known: {', '.join(FILE_FORMATS)})", field="--formats")
        event_formats = tuple(f for f in EVENT_FORMATS if f in formats)
        formats = tuple(f for f in FORMATS if f in formats)
        # the event files are built from records, which need each line's message and session id
        columns = formats + (EventRecords(self.compiled).columns if event_formats else ())
        if shard_lines is not None and shard_lines < 1:
            raise InputError(f"a part holds at least one line, not {shard_lines}", field="--shard-lines")
        total = n_lines if n_lines is not None else horizon / US
        if shard_lines is not None:
            return self._write_parts(out_dir, n_lines, horizon, seed, workers, scheduler, (*formats, *event_formats),
                                     columns, window, budget, shard_lines, total, executor)
        with atomic_directory(out_dir) as stage, self._executor(workers, scheduler, executor) as run_on, \
                Progress("simulating", total) as bar, \
                RunWriter(stage, self.compiled, formats, window, horizon, event_formats,
                          _metadata(seed, n_lines, horizon)) as writer:
            if scheduler:  # the cluster's size is known only now
                check_memory(self.compiled, run_on.run_on.width, budget)
            done_seconds = 0.0
            for block in blocks(self.spec, seed, columns, horizon=horizon, n_lines=n_lines, executor=run_on):
                writer.write(block)
                if n_lines is not None:
                    bar.advance(len(block.lines))
                elif len(block.lines):
                    now = block.lines["t"][-1].as_py() / US
                    bar.advance(max(now - done_seconds, 0.0))
                    done_seconds = max(now, done_seconds)
        written = [*formats, *event_formats, "templates", "labels", "sequences", "metadata",
                   *(["windows"] if window is not None else [])]
        return RunSummary.of(out_dir, [writer.paths[k].name for k in written], writer)

    def _write_parts(self, out_dir, n_lines, horizon, seed, workers, scheduler, formats, columns, window, budget,
                     shard_lines, total, executor) -> RunSummary:
        from synthlog.stats.parts import write_parts

        with atomic_directory(out_dir) as stage, \
                nullcontext(executor) if executor is not None else open_executor(workers, scheduler) as run_on, \
                Progress("simulating", total) as bar, \
                RunWriter(stage, self.compiled, (), window, horizon,
                          metadata=_metadata(seed, n_lines, horizon)) as writer:
            check_memory(self.compiled, run_on.width, budget, parts=True)

            done_seconds = [0.0]

            def advance(lines) -> None:
                if n_lines is not None:
                    bar.advance(len(lines))
                elif len(lines):  # a duration run: simulated seconds done
                    now = lines["t"][-1].as_py() / US
                    bar.advance(max(now - done_seconds[0], 0.0))
                    done_seconds[0] = max(now, done_seconds[0])

            write_parts(self.spec, seed, formats, columns, horizon, n_lines, shard_lines, run_on, stage, writer,
                        advance)
        written = ["templates", "labels", "sequences", "metadata", *(["windows"] if window is not None else [])]
        return RunSummary.of(out_dir, [*(file_name(self.spec.name, f) for f in formats),
                                       *(writer.paths[k].name for k in written)], writer)

    @staticmethod
    @contextmanager
    def _executor(workers: int, scheduler: str | None, executor):
        if executor is not None:
            yield executor
        elif workers > 1 or scheduler:
            with open_executor(workers, scheduler) as run_on:
                yield ShardExecutor(run_on)
        else:
            yield LocalExecutor()


def _metadata(seed: int, n_lines: int | None, horizon: int | None) -> dict[str, Any]:
    """What NAME.metadata.json records of a run (the spec's name is added by the writer)."""
    return {"seed": seed, "lines": n_lines, "duration_seconds": None if horizon is None else horizon / US}


def _microseconds(duration: float | str, option: str) -> int:
    try:
        return int(round(parse_duration(duration) * US))
    except ValueError as exc:
        raise InputError(str(exc), field=option) from None
