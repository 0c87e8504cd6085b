"""Turn the Date/Time text of log headers into epoch seconds (UTC), fast and with caching.

Handled shapes (Loghub data sets): HDFS ``081109`` + ``203615`` (yymmdd, HHMMSS; Loghub-2.0 drops the leading
zero: ``81109``), ISO ``2015-07-29`` + ``17:41:44,747`` (ZooKeeper, Hadoop, OpenStack), BGL ``2005.06.03`` +
``2005-06-03-15.42.50.675872``, and a bare epoch ``Timestamp`` header. Anything else gives ``None``.
"""

from __future__ import annotations

import calendar
import re
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
