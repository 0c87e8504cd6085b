"""Event-id sequence files: ``SessionId,<space-separated ids>`` per line, or ids only (one session per line)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.text import CsvRows, PathLike, iter_lines
from synthlog.progress import track
from synthlog.records import Session, label_from_word

_HEADER_IDS = ("SessionId,", "BlockId,")


def read_sequences(path: PathLike, label: int | None = None) -> list[Session]:
    """Sessions from a sequence file; every session gets ``label`` (file membership is the label).

    The first non-blank line decides the variant: with a comma it is ``SessionId,ids`` (an optional
    ``SessionId,...`` or ``BlockId,...`` header line is skipped), without one every line is a sequence and
    sessions are named ``<file name>:<line number>``. Blank lines are skipped in both.
    """
    path = Path(path)
    sessions: list[Session] = []
    with_ids: bool | None = None
    for number, line in track(iter_lines(path), f"reading {path.name}"):
        if not line.strip():
            continue
        if with_ids is None:
            with_ids = "," in line
            if line.startswith(_HEADER_IDS):
                continue
        if with_ids:
            session_id, comma, ids = line.partition(",")
            if not comma or not session_id.strip():
                raise InputError("expected 'SessionId,<space-separated event ids>'", path=path, line=number)
            sessions.append(Session.from_event_ids(session_id.strip(), ids.split(), label=label))
        else:
            if "," in line:
                raise InputError("a comma in a file of id-only sequences", path=path, line=number)
            sessions.append(Session.from_event_ids(f"{path.name}:{number}", line.split(), label=label))
    return sessions


def write_sequences(path: PathLike, sessions: Iterable[Session], with_ids: bool = True) -> int:
    """Write one session per line atomically (``SessionId,ids`` or ids only); returns the line count."""
    count = 0
    with atomic_open(path, "w", newline="\n") as fh:
        for session in sessions:
            fh.write(sequence_line(session, path, with_ids))
            count += 1
    return count


def sequence_line(session: Session, path: PathLike, with_ids: bool = True) -> str:
    """A session's line of a sequence file (``path`` names the file in errors)."""
    ids = session.event_ids
    text = " ".join(ids)  # one test of the joined line; the slow search only on failure
    if text.count(" ") != max(len(ids) - 1, 0) or "\t" in text or "," in text or "\n" in text or "\r" in text \
            or not all(ids):
        bad = next(e for e in ids if not e or any(c in e for c in " \t,\n\r"))
        raise InputError(f"session {session.id!r}: event id {bad!r} cannot be written to a sequence file", path=path)
    if not with_ids:
        return text + "\n"
    if not session.id or "," in session.id or "\n" in session.id or "\r" in session.id:
        raise InputError(f"session id {session.id!r} cannot be written to a sequence file", path=path)
    return f"{session.id},{text}\n"


def read_sequence_csv(path: PathLike) -> list[Session]:
    """Labeled sequences from a CSV with columns ``Sequence`` (space-separated ids) and ``label`` (0/1)."""
    path = Path(path)
    rows = CsvRows(path)
    cols = rows.header(["Sequence", "label"])
    seq, lab = cols["Sequence"], cols["label"]
    sessions = []
    for row in rows.rows(len(cols)):
        try:
            label = label_from_word(row[lab])
        except ValueError as exc:
            raise rows.error(str(exc), field="label") from None
        sessions.append(Session.from_event_ids(f"{path.name}:{rows.line}", row[seq].split(), label=label))
    return sessions
