"""Errors that reach the user as one line naming the file, line or field at fault."""

from __future__ import annotations

from os import PathLike


class SynthlogError(Exception):
    """A problem with the user's input or environment, shown as one line without a traceback."""

    exit_code = 2


class InputError(SynthlogError):
    """Bad input: ``InputError("bad row", path="x.csv", line=3)`` reads ``x.csv:3: bad row``."""

    def __init__(self, message: str, path: str | PathLike[str] | None = None, line: int | None = None,
                 field: str | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "")
        if self.field is not None:
            where = f"{where}: {self.field}" if where else self.field
        return f"{where}: {self.reason}" if where else self.reason


class ConfigError(InputError):
    """An invalid configuration, spec, recipe or rule file."""
