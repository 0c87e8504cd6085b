"""The simulator's ``NAME.sequences``: each request or session's event ids in time order, one session a line.

The same file the code path writes (:func:`synthlog.io.sequences.sequence_line`: ``SessionId,E1 E2 ...``), in the
order of ``anomaly_label.csv``: a session's line is written when its label row is, that is once no line of the
shard that started it is still carried, so every line it has is written by then. Only the lines of sessions not
yet settled are held. Background lines (of no request or session) belong to no sequence.
"""

from __future__ import annotations

from typing import IO

import polars as pl
import pyarrow as pa

from synthlog.errors import InputError
from synthlog.io.writers import write_column


class SequenceFile:
    """Collects ``(owner number, template)`` of written lines; :meth:`settle` writes the settled sessions' lines."""

    def __init__(self, handle: IO[bytes], template_ids: list[str], path: str):
        bad = next((t for t in template_ids if not t or any(c in t for c in " \t,\n\r")), None)
        if bad is not None:
            raise InputError(f"event id {bad!r} cannot be written to a sequence file", path=path)
        self.handle = handle
        self.template_ids = pl.Series(template_ids, dtype=pl.String)
        self.pending = pl.DataFrame({"number": pl.Series([], dtype=pl.UInt64), "tid": pl.Series([], dtype=pl.String)})

    def add(self, lines: pa.Table) -> None:
        """The lines of a written block (columns ``owner``, ``text``), in time order."""
        owner = lines["owner"]
        owned = pl.DataFrame({"number": pl.from_arrow(owner).cast(pl.UInt64),
                              "tid": self.template_ids.gather(lines["text"].to_numpy())}).drop_nulls("number")
        self.pending = pl.concat([self.pending, owned], rechunk=False)

    def settle(self, owners: pa.Table) -> None:
        """Write the lines of settled sessions (``id``, ``number``), in their order."""
        if not len(owners):
            return
        settled = pl.DataFrame({"id": pl.from_arrow(owners["id"]).cast(pl.String),
                                "number": pl.from_arrow(owners["number"]).cast(pl.UInt64)})
        done = self.pending["number"].is_in(settled["number"].implode())
        lines = (self.pending.filter(done).group_by("number", maintain_order=True).agg(pl.col("tid").str.join(" "))
                 .join(settled, on="number", how="right", maintain_order="right"))
        self.pending = self.pending.filter(~done)
        if (lines["id"].str.contains(r"[,\n\r]") | lines["id"].eq("")).any():
            raise InputError("a session id holds a comma or a line break: cannot be written to a sequence file",
                             path=getattr(self.handle, "name", None))
        text = lines.select(pl.concat_str(["id", pl.lit(","), pl.col("tid").fill_null(""), pl.lit("\n")]))
        write_column(self.handle, text.to_series().to_arrow().cast(pa.large_string()))

