"""Turn the Date/Time text of log headers into epoch seconds (UTC), fast and with caching.

:func:`parse_timestamp` handles the shapes of the Loghub data sets by header name; :func:`infer_time_format`,
:func:`read_time` and :class:`TimeRenderer` work with explicit strftime-like time formats of any layout.

Handled shapes (Loghub data sets): HDFS ``081109`` + ``203615`` (yymmdd, HHMMSS; Loghub-2.0 drops the leading
zero: ``81109``), ISO ``2015-07-29`` + ``17:41:44,747`` (ZooKeeper, Hadoop, OpenStack), BGL ``2005.06.03`` +
``2005-06-03-15.42.50.675872``, and a bare epoch ``Timestamp`` header. Anything else gives ``None``.
"""

from __future__ import annotations

import calendar
import re
import time
from functools import lru_cache

_DATE = re.compile(r"(\d{2}|\d{4})[-./]?(\d{2})[-./]?(\d{2})")
_TIME = re.compile(r"(?:\d{4}-\d{2}-\d{2}[-T ])?(\d{2})[:.]?(\d{2})[:.]?(\d{2})(?:[,.](\d{1,9}))?")
_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?")


@lru_cache(maxsize=4096)
def _midnight(date: str) -> float | None:
    """Epoch seconds of 00:00 UTC on ``date``; two-digit years are 20yy."""
    if len(date) == 5 and date.isdigit():
        date = "0" + date  # Loghub-2.0 wrote yymmdd as an integer
    m = _DATE.fullmatch(date)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups())
    if year < 100:
        year += 2000
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None  # timegm would roll 2015-02-31 over to March 3rd
    return float(calendar.timegm((year, month, day, 0, 0, 0)))


def _seconds_of_day(time: str) -> float | None:
    m = _TIME.fullmatch(time)
    if m is None:
        return None
    hours, minutes, seconds, fraction = m.groups()
    total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return float(total)


def parse_timestamp(date: str | None, time: str | None, epoch: str | None = None) -> float | None:
    """Epoch seconds from a log line's Date and Time (or Timestamp) header text, or ``None`` if unparseable."""
    if epoch is not None and _EPOCH.fullmatch(epoch):
        return float(epoch)
    if date is None or time is None:
        return None
    day = _midnight(date)
    if day is None:
        return None
    seconds = _seconds_of_day(time)
    return None if seconds is None else day + seconds


# ---------------------------------------------------------------------------------------------------------------------
# Time formats: inferred from a header's values, parsed, and rendered from epoch microseconds
# ---------------------------------------------------------------------------------------------------------------------
#
# A time format is strftime-like text with these directives: %Y (4-digit year), %y (2-digit year), %m, %d, %H, %M,
# %S (2 digits), %e (day padded with a space), %b (Jan..Dec), %a (Mon..Sun: written from the date, not read), %s
# (epoch seconds), %3f / %6f / %9f (fraction of a second with that many digits); %% is a percent sign, anything
# else is literal text.

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # in time.struct_time's tm_wday order
_DIRECTIVE = re.compile(r"%(?:[369]f|[YymdeHMSbas%])")
_FIELD_REGEX = {"%Y": r"(\d{4})", "%y": r"(\d{2})", "%m": r"(\d{2})", "%d": r"(\d{2})", "%e": r"( ?\d{1,2})",
                "%H": r"(\d{2})", "%M": r"(\d{2})", "%S": r"(\d{2})", "%b": "(" + "|".join(MONTHS) + ")",
                "%a": "(" + "|".join(WEEKDAYS) + ")",
                "%s": r"(\d{1,12})", "%3f": r"(\d{3})", "%6f": r"(\d{6})", "%9f": r"(\d{9})"}
TIME_NAME = re.compile(r"date|time|stamp|day|month|year|clock|^ts$|when", re.IGNORECASE)
FIRST_YEAR, LAST_YEAR = 1970, 9000  # a generator's start date leaves room for any run before year 10000
DEFAULT_YEAR = 2000  # a format without a year (syslog's ``Mar  5 10:15:32``) is read in this (leap) year


def time_pieces(fmt: str) -> list[str]:
    """A time format split into directives and literal text, in order (``%%`` becomes a literal ``%``)."""
    pieces: list[str] = []
    last = 0
    for m in _DIRECTIVE.finditer(fmt):
        if m.start() > last:
            pieces.append(fmt[last:m.start()])
        pieces.append("%" if m.group(0) == "%%" else m.group(0))
        last = m.end()
    if last < len(fmt):
        pieces.append(fmt[last:])
    merged: list[str] = []
    for piece in pieces:  # adjacent literal text in one piece
        if merged and not _is_directive(piece) and not _is_directive(merged[-1]):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _is_directive(piece: str) -> bool:
    return piece in _FIELD_REGEX


def fraction_digits(fmt: str) -> int:
    """Digits of the fraction of a second a format writes (0 when it writes whole seconds)."""
    return max((int(p[1]) for p in time_pieces(fmt) if p in ("%3f", "%6f", "%9f")), default=0)


@lru_cache(maxsize=256)
def _time_regex(fmt: str) -> tuple[re.Pattern, tuple[str, ...]]:
    pieces = time_pieces(fmt)
    regex = "".join(_FIELD_REGEX[p] if _is_directive(p) else re.escape(p) for p in pieces)
    return re.compile(regex), tuple(p for p in pieces if _is_directive(p))


@lru_cache(maxsize=1 << 16)  # lines of one second (or millisecond) share their time text
def read_time(texts: tuple[str, ...], formats: tuple[str, ...]) -> float | None:
    """Epoch seconds (UTC) from the text of one or more time fields of a line, each with its format, or ``None``
    when one does not fit. Fields read later fill in what earlier ones lack (a date field and a time field);
    epoch seconds (``%s``) are used only when no field gives a calendar date and time of day."""
    parts: dict[str, str] = {}
    for text, fmt in zip(texts, formats, strict=True):
        regex, directives = _time_regex(fmt)
        m = regex.fullmatch(text)
        if m is None:
            return None
        parts.update(zip(directives, m.groups(), strict=True))
    return _seconds(parts)


def _seconds(parts: dict[str, str]) -> float | None:
    fraction = next((int(parts[k]) / 10 ** int(k[1]) for k in ("%9f", "%6f", "%3f") if k in parts), 0.0)
    has_day = ("%d" in parts or "%e" in parts) and ("%m" in parts or "%b" in parts)
    if not (has_day and "%H" in parts) and "%s" in parts:
        return int(parts["%s"]) + fraction
    if "%Y" in parts:
        year = int(parts["%Y"])
    elif "%y" in parts:
        year = 2000 + int(parts["%y"])
    else:
        year = DEFAULT_YEAR
    month = int(parts["%m"]) if "%m" in parts else (MONTHS.index(parts["%b"]) + 1 if "%b" in parts else 1)
    day = int((parts.get("%d") or parts.get("%e") or "1").strip())
    hour, minute, second = (int(parts.get(k, "0")) for k in ("%H", "%M", "%S"))
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60
            and second <= 60):
        return None
    return calendar.timegm((year, month, day, hour, minute, second)) + fraction


# -- inference ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+|[A-Za-z]+|[^\dA-Za-z]+")
_DATE_ORDER = ("%Y", "%m", "%d", "%H", "%M", "%S")


def _infer_one(text: str, compact: bool, time_first: bool) -> str | None:
    """The time format of one value, or ``None``: digit runs are read as year, month, day, hour, minute, second
    (in that order, skipping the date when ``time_first`` or when the value starts with a time of day), then a
    fraction after ``.`` or ``,``; a month name takes the month. Bare digit runs (``081109``, epoch seconds) only
    when ``compact``."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    if compact and len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) in (9, 10):
        return "%s"
    out: list[str] = []
    year = False
    expect = 3 if time_first or (len(tokens) > 1 and tokens[1] == ":") else 0  # index into _DATE_ORDER
    filled = 0
    for i, token in enumerate(tokens):
        if token.isdigit():
            previous = tokens[i - 1] if i else ""
            if expect == 6 and previous in (".", ",", ":"):  # ``17:41:44,747``; ``22:15:29:606`` (HealthApp)
                if len(token) not in (3, 6, 9):
                    return None
                out.append(f"%{len(token)}f")
                expect = 7
                continue
            if expect in (6, 7) and len(token) == 4 and not year and previous.strip() == "":
                out.append("%Y")  # the year after the time of day: ``Sun Dec 04 04:47:44 2005`` (C's ctime)
                expect, year = 8, True
                continue
            if expect >= 6:
                return None
            if expect == 0 and len(token) == 4:
                out.append("%Y")
                expect, filled, year = 1, filled + 1, True
            elif expect in (0, 3) and len(token) == 6 and compact:
                out.append("%y%m%d" if expect == 0 else "%H%M%S")
                expect, filled, year = expect + 3, filled + 3, year or expect == 0
            elif expect == 0 and len(token) == 8 and compact:
                out.append("%Y%m%d")
                expect, filled, year = 3, filled + 3, True
            elif expect == 2 and out and out[-1].strip() == "" and out[-2:-1] == ["%b"] and len(token) in (1, 2) \
                    and not token.startswith("0"):
                out[-1] = " "  # syslog pads the day with a space: ``Mar  5``, ``Mar 15``
                out.append("%e")
                expect, filled = 3, filled + 1
            elif len(token) == 2 and expect > 0:
                out.append(_DATE_ORDER[expect])
                expect, filled = expect + 1, filled + 1
            else:
                return None
        elif token in MONTHS and expect in (0, 1):
            out.append("%b")
            expect, filled = 2, filled + 2
        elif token in WEEKDAYS and expect == 0 and not any(_is_directive(p) for p in out):
            out.append("%a")  # a leading day of the week: ``Sun Dec 04 ...``
        elif token.isalpha() and len(token) > 1:
            return None  # a word that is no month: not a time
        else:
            out.append(token.replace("%", "%%"))
    fmt = "".join(out)
    return fmt if filled >= 3 and _valid(text, fmt) else None


def _valid(text: str, fmt: str) -> bool:
    """Whether ``text`` reads as a real time in ``fmt`` (month 1-12, hours below 24 ...)."""
    try:
        return read_time((text,), (fmt,)) is not None
    except (ValueError, KeyError):
        return False


def infer_time_format(values: list[str], name: str | None = None) -> str | None:
    """The one time format all ``values`` (a header's texts) fit, or ``None``. Digit-only values (``081109``,
    ``203615``, epoch seconds) count only for a header whose name says it holds a time (Date, Time, Timestamp,
    Day ...): elsewhere a number of six digits is more likely a thread id than a clock."""
    if not values:
        return None
    part = _part_of_date(values, name)
    if part is not None:
        return part
    compact = name is not None and bool(TIME_NAME.search(name))
    time_first = name is not None and "time" in name.lower() and "date" not in name.lower() and "stamp" not in \
        name.lower()
    orders = (True, False) if time_first else (False, True)
    for first in orders:
        if first and not time_first and (short := _short_date(values, compact)) is not None:
            return short  # ``17/06/09`` reads as a date before it reads as a time of day
        found = _infer_one(values[0], compact, first)
        if found is not None and all(_valid(v, found) for v in values):
            padded = found.replace("%e", "%d")  # ``Dec 04``: a zero-padded day somewhere, and every day two digits
            if padded != found and all(_valid(v, padded) for v in values) and \
                    any(_infer_one(v, compact, first) == padded for v in values):
                return padded
            return found
    return _short_date(values, compact) if time_first else None


_SHORT_DATE = re.compile(r"(\d{2})([-/.])(\d{2})(?:\2(\d{2}))?(?!\d)")
_SHORT_ORDERS = {2: (("%m", "%d"), ("%d", "%m")), 3: (("%y", "%m", "%d"), ("%d", "%m", "%y"), ("%m", "%d", "%y"))}


def _short_date(values: list[str], compact: bool) -> str | None:
    """A date of two-digit parts (``17/06/09`` Spark, ``03-17`` Android, ``10.30`` Proxifier), alone or before a
    time of day: the first order of its parts, year-month-day first, that reads every value as a real date. A
    date alone counts only for a header whose name says it holds a time (``compact``)."""
    m = _SHORT_DATE.match(values[0])
    if m is None:
        return None
    parts = 3 if m.group(4) else 2
    rest = values[0][m.end():]
    lead = re.match(r"[^\dA-Za-z]*", rest).group(0)
    tail = _infer_one(rest[len(lead):], compact, True) if rest[len(lead):] else ""
    if tail is None or (not tail and not compact) or (tail and not lead):
        return None
    for order in _SHORT_ORDERS[parts]:
        found = m.group(2).join(order) + lead.replace("%", "%%") + tail
        if all(_valid(v, found) for v in values):
            return found
    return None


def _part_of_date(values: list[str], name: str | None) -> str | None:
    """A header named Month, Day or Year (or Date, holding a month name or a day alone) with only that part of a
    date (syslog writes ``Mar  5 10:15:32`` as three headers): ``%b`` / ``%m``, ``%d`` (zero-padded) / ``%e``
    (space-padded), ``%Y``."""
    key = (name or "").lower()
    if key in ("month", "date") and all(v in MONTHS for v in values):  # Loghub's OpenSSH layout: <Date> <Day> <Time>
        return "%b"
    if key == "month" and all(len(v) == 2 and v.isdigit() and 1 <= int(v) <= 12 for v in values):
        return "%m"
    if key in ("day", "date") and all(v.strip().isdigit() and len(v.strip()) <= 2 and 1 <= int(v) <= 31
                                      for v in values):  # Loghub's Linux layout: <Month> <Date> <Time>
        return "%d" if all(len(v) == 2 for v in values) and any(v.startswith("0") for v in values) else "%e"
    if key == "year" and all(len(v) == 4 and v.isdigit() for v in values):
        return "%Y"
    return None


# -- rendering ---------------------------------------------------------------------------------------------------

_DAY_PARTS = frozenset({"%Y", "%y", "%m", "%d", "%e", "%b", "%a"})
_TIME_OF_DAY = frozenset({"%H", "%M", "%S"})


class TimeRenderer:
    """Writes epoch microseconds in one time format: :meth:`one` per line (whole seconds cached), :meth:`many` for
    a numpy array (one strftime-like pass per distinct second, the fraction glued on by column)."""

    def __init__(self, fmt: str):
        self.format = fmt
        pieces = time_pieces(fmt)
        cut = next((i for i, p in enumerate(pieces) if p in ("%3f", "%6f", "%9f")), None)
        self.digits = int(pieces[cut][1]) if cut is not None else 0
        self.head = pieces if cut is None else pieces[:cut]
        self.tail = [] if cut is None else pieces[cut + 1:]
        # a date alone reads the same all day and a time of day alone the same every day: their texts are cached
        # by day or by second of the day, so a log that spans hours misses the cache once per day or second of day
        self._daily = not any(p in _TIME_OF_DAY or p == "%s" for p in pieces)
        self._time_of_day = not self._daily and not any(p in _DAY_PARTS or p == "%s" for p in pieces)
        self._seconds = lru_cache(maxsize=16384 if self._time_of_day else 4096)(self._second_texts)

    def __reduce__(self):  # rebuilt from its format where it is unpickled (workers): the cache stays behind
        return TimeRenderer, (self.format,)

    def _second_texts(self, second: int) -> tuple[str, str]:
        tm = time.gmtime(second)
        values = {"%Y": f"{tm.tm_year:04d}", "%y": f"{tm.tm_year % 100:02d}", "%m": f"{tm.tm_mon:02d}",
                  "%d": f"{tm.tm_mday:02d}", "%e": f"{tm.tm_mday:2d}", "%H": f"{tm.tm_hour:02d}",
                  "%M": f"{tm.tm_min:02d}", "%S": f"{tm.tm_sec:02d}", "%b": MONTHS[tm.tm_mon - 1],
                  "%a": WEEKDAYS[tm.tm_wday], "%s": str(second)}
        return ("".join(values.get(p, p) for p in self.head), "".join(values.get(p, p) for p in self.tail))

    def fraction(self, micros: int) -> str:
        if self.digits == 0:
            return ""
        if self.digits == 9:
            return f"{micros:06d}000"
        return f"{micros // 10 ** (6 - self.digits):0{self.digits}d}"

    def one(self, epoch_us: int) -> str:
        """One timestamp, e.g. ``TimeRenderer("%Y-%m-%d %H:%M:%S,%3f").one(1438191704747000)``."""
        second, micros = divmod(int(epoch_us), 1_000_000)
        if self._daily:
            second -= second % 86400
        elif self._time_of_day:
            second %= 86400
        head, tail = self._seconds(second)
        return head + self.fraction(micros) + tail

    def many(self, epoch_us):
        """A polars String series of the timestamps of a numpy int64 array of epoch microseconds."""
        import numpy as np
        import polars as pl

        epoch_us = np.asarray(epoch_us, dtype=np.int64)
        seconds, which = np.unique(epoch_us // 1_000_000, return_inverse=True)
        texts = [self._seconds(int(s)) for s in seconds.tolist()]
        head = pl.Series([h for h, _ in texts], dtype=pl.String).gather(which)
        if self.digits == 0 and not self.tail:
            return head
        columns = {"h": head}
        if self.digits:
            scaled = (epoch_us % 1_000_000) // 10 ** max(6 - self.digits, 0)
            width = min(self.digits, 6)
            fraction = pl.Series(scaled + 10 ** width).cast(pl.String).str.slice(1)
            columns["f"] = fraction + "000" if self.digits == 9 else fraction
        if self.tail:
            columns["t"] = pl.Series([t for _, t in texts], dtype=pl.String).gather(which)
        return pl.DataFrame(columns).select(pl.concat_str(list(columns))).to_series()
