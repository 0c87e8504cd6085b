"""Realistic values for the ``<*>`` slots of logging statements, consistent per entity through a session.

Usage::

    gen = ValueGenerator(seed=7)                      # or ValueGenerator(7, model=ValueModel.fit(events))
    ctx = gen.context(session_seed)                   # one per session: ValueContext(seed, nodes=3)
    text, params = gen.fill(statement, ctx)           # "Receiving block blk_-160899... src: /10.3.7.21:50010 ..."
    infer_slot_kinds(statement)                       # [SlotKind.BLOCK_ID, SlotKind.SOCKET_ADDRESS, ...]

**Kinds.** Each slot's :class:`SlotKind` is inferred, in this order, from: literal text that settles it (``blk_``
or ``0x`` right before the slot, ``<*>:<*>`` host and port), the code's type of the slot expression when known
(:class:`~synthlog.code.slottypes.SlotType`: ``Long.toHexString`` prints hex, ``File`` a path, ``f.getName()``
a file name, ``InetSocketAddress``, an enum with its constants, ``boolean``, a caught exception with the
messages thrown into its catch, collections; a number type narrows the kind to a numeric one), a unit right
after the slot (``bytes``, ``ms``, ``secs``), the argument expression's identifiers (``block``,
``s.getRemoteSocketAddress()``, ``targets.length``, ``StringUtils.stringifyException(e)``), the literal text
around the slot (``of size <*>``, ``<*> ms``, ``file <*>``), and finally the declared type's family (a number).
:func:`infer_kind_source` also says which of these decided (``literal``, ``type``, ``unit``, ``name``, ``text``,
``default``).

**Defaults are system-neutral**: paths are built from the expression's own words (``snapDir`` ->
``/data/snap/...``), sizes and numbers are log-uniform, timestamps follow the generator's ``epoch``, the service
port is drawn per generator. A recipe's ``values`` (:meth:`ValueGenerator.__init__` ``overrides``) gives a code
base's own shapes: per declared type or kind, patterns where ``#`` is a random digit and ``{block_id}`` (any kind)
is the session's value of that kind.

**Consistency.** A :class:`ValueContext` maps (entity group, entity key) to a value, so a variable keeps its
value through the session: every block slot (``block``, ``b``, ``b.getBlockId()``) names the session's one block
unless its name says otherwise (``newBlock``); node slots (addresses, host names, ports) draw from a pool of
``nodes`` datanodes per session, themselves drawn from a cluster shared by every session of a generator, and
the same expression names the same node wherever it appears (``dnRegistration`` -> one node). Durations and
timestamps are drawn afresh each time.

**Learned shapes.** :meth:`ValueModel.fit` learns value shapes from real parameters: IPv4 subnets (first two
octets) and ports, block-id signs and lengths, path skeletons (digits regenerated, words kept), hex and number
lengths and ranges, exception classes. It generates NEW values in those shapes; a real identifier value is
copied verbatim only with ``allow_real_values=True``. Numbers that are frequent in the real data (at least
``min_count`` times, e.g. a 64 MiB block size or port 50010) are shape, not identity, and are reused. It also
learns each slot of each real template apart (:meth:`ValueModel.sample_slot`), which ``fill(..., template_id=)``
uses for lines on that template.

Everything is seeded: the same seeds and calls give the same values.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from synthlog.code.records import Statement
from synthlog.code.slottypes import NUMERIC_TYPES, SlotType
from synthlog.parse.drain import WILDCARD, ParameterExtractor
from synthlog.records import LogEvent, Template
from synthlog.synth.draws import below, between


class SlotKind(StrEnum):
    BLOCK_ID = "block_id"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    HOST_PORT = "host_port"  # 10.251.42.84:50010
    SOCKET_ADDRESS = "socket_address"  # /10.251.42.84:50010 (Java InetSocketAddress.toString)
    INET_ADDRESS = "inet_address"  # /10.251.42.84 (Java InetAddress.toString)
    PORT = "port"
    HOSTNAME = "hostname"
    PATH = "path"
    SIZE = "size"  # bytes
    DURATION = "duration"  # milliseconds
    TIMESTAMP = "timestamp"  # epoch milliseconds
    COUNT = "count"
    UUID = "uuid"
    HEX_ID = "hex_id"  # 0x13ef2ad6d280000 (or the bare hex digits of Long.toHexString)
    FILE_NAME = "file_name"  # log.1a2b (java.io.File.getName())
    LIST = "list"  # [a, b] (a Java collection's toString)
    OBJECT = "object"  # org.example.Peer@1b2c3d (Java's default toString)
    EXCEPTION = "exception"  # java.io.IOException: Connection reset by peer
    ERROR_MESSAGE = "error_message"  # Connection reset by peer
    ENUM = "enum"
    BOOLEAN = "boolean"
    NUMBER = "number"
    STRING = "string"


_KINDS = {kind.value: kind for kind in SlotKind}  # SlotKind(text) without the enum's call
NODE_KINDS = frozenset({SlotKind.IPV4, SlotKind.IPV6, SlotKind.HOST_PORT, SlotKind.SOCKET_ADDRESS,
                        SlotKind.INET_ADDRESS, SlotKind.PORT, SlotKind.HOSTNAME})
NUMERIC_KINDS = frozenset({SlotKind.SIZE, SlotKind.DURATION, SlotKind.TIMESTAMP, SlotKind.COUNT, SlotKind.NUMBER,
                           SlotKind.PORT})
_FRESH_KINDS = frozenset({SlotKind.DURATION, SlotKind.TIMESTAMP})
_CALIBRATED_NUMBERS = frozenset({SlotKind.SIZE, SlotKind.DURATION, SlotKind.TIMESTAMP, SlotKind.COUNT,
                                 SlotKind.NUMBER})


# ---- templates -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Slot:
    """One ``<*>`` of a template with what surrounds it."""

    index: int
    expr: str  # source expression ("" when unknown, e.g. a mined template)
    before: str  # literal text between the previous slot (or the start) and this one
    after: str  # literal text up to the next slot (or the end)
    declared_type: str | None = None
    next_is_slot: bool = False
    prev_is_slot: bool = False
    type: SlotType | None = None  # what the code says (declared_type is its name)


TypeHint = SlotType | str | None


def _as_type(hint: TypeHint) -> SlotType | None:
    if hint is None or isinstance(hint, SlotType):
        return hint
    return SlotType(hint.split("<")[0].strip().rsplit(".", 1)[-1]) if hint else None


def slots_of(template: str, args: Sequence[str] = (), types: Sequence[TypeHint] = ()) -> list[Slot]:
    pieces = template.split(WILDCARD)
    count = len(pieces) - 1
    hints = [_as_type(types[i]) if i < len(types) else None for i in range(count)]
    return [Slot(index=i, expr=args[i] if i < len(args) else "", before=pieces[i], after=pieces[i + 1],
                 declared_type=hints[i].name if hints[i] is not None and hints[i].name else None,
                 next_is_slot=i + 1 < count, prev_is_slot=i > 0, type=hints[i])
            for i in range(count)]


def render(template: str, values: Sequence[str]) -> str:
    """The template with its slots filled in order (``len(values)`` must equal the number of slots)."""
    pieces = template.split(WILDCARD)
    if len(values) != len(pieces) - 1:
        raise ValueError(f"template has {len(pieces) - 1} slots, got {len(values)} values")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += [value, piece]
    return "".join(out)


# ---- kind inference ------------------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_STRING_LIT = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
_INDEX = re.compile(r"\[[^\[\]]*\]")  # x[i] is an element of x, not i
_NOISE = {"get", "to", "string", "tostring", "value", "valueof", "this", "self", "str", "repr", "format"}

# (pattern on the expression's lower-case identifiers joined by ".", kind); first match wins
_EXPR_RULES: list[tuple[re.Pattern[str], SlotKind]] = [(re.compile(p), k) for p, k in [
    (r"(^|\.)(get)?(localized)?message$", SlotKind.ERROR_MESSAGE),
    (r"exception|throwable|stringify|(^|\.)(e|ex|ie|ioe|t|th|exc|cause|err)$", SlotKind.EXCEPTION),
    (r"(^|\.)(sid|myid|server_?id)$", SlotKind.NUMBER),  # ZooKeeper's server ids are small numbers
    (r"hexstring", SlotKind.HEX_ID),
    (r"uuid|guid", SlotKind.UUID),
    (r"(\.length|\.size)$", SlotKind.COUNT),
    (r"bytes|size$|len(gth)?$|capacity|offset|remaining|used$", SlotKind.SIZE),
    (r"(^|\.)(num[a-z]*|[a-z]*count|n)$", SlotKind.COUNT),
    (r"(^|\.)(b|[a-z]*(block|blk)s?(_?id|name)?)$", SlotKind.BLOCK_ID),
    (r"port$", SlotKind.PORT),
    (r"timestamp|starttime|(^|\.)now$|currenttime|mtime|lastupdate|(^|\.)date$", SlotKind.TIMESTAMP),
    (r"time(out)?$|duration|elapsed|millis|(^|\.)ms$|msec|delay|interval|latency|period|sleep|wait$",
     SlotKind.DURATION),
    (r"socketaddress|remoteaddr|localaddr|(^|\.)(remote|peer|client)$", SlotKind.SOCKET_ADDRESS),
    (r"inetaddress", SlotKind.INET_ADDRESS),
    (r"ipv6|inet6", SlotKind.IPV6),
    (r"(^|\.)ip(addr(ess)?)?$", SlotKind.IPV4),
    (r"host(name)?$|machine", SlotKind.HOSTNAME),
    (r"path|file|(^|\.)dirs?$|directory|(^|\.)(src|dst|root|sd)$|rootdir|uri|url|znode|inode", SlotKind.PATH),
    (r"registration|(^|\.)(dn|nn|mirror|server|leader|follower|endpoint)$|targets?$|addr(ess)?$"
     r"|(^|\.)(n|dn|nn)\.(name|addr|address)$"
     r"|(^|\.)[a-z]*nodes?[a-z]*(\.(name|addr|address))?$", SlotKind.HOST_PORT),
    (r"retries|retry|attempts?|tries|(^|\.)(i|j|k)$|threads|replicas|replication|pending", SlotKind.COUNT),
    (r"(state|status|mode)$|(^|\.)(action|type|op|cmd|command|phase|role|kind)$", SlotKind.ENUM),
    (r"(^|\.)(is|has|should|can)_?[a-z]|enabled|flag|success|(^|\.)(ok|done)$", SlotKind.BOOLEAN),
    (r"id$|version|epoch|(^|\.)seq(no)?$|generation|index|idx|priority", SlotKind.NUMBER),
]]

_TYPE_RULES: list[tuple[re.Pattern[str], SlotKind]] = [(re.compile(p), k) for p, k in [
    (r"^(Block|BlockInfo)$", SlotKind.BLOCK_ID),
    (r"SocketAddress$", SlotKind.SOCKET_ADDRESS),
    (r"^Inet[46]?Address$", SlotKind.INET_ADDRESS),
    (r"^Datanode(Info|ID|Descriptor|Registration)$", SlotKind.HOST_PORT),
    (r"^(Path|File|URI|URL)$", SlotKind.PATH),
    (r"(Exception|Error|Throwable)$", SlotKind.EXCEPTION),
    (r"^UUID$", SlotKind.UUID),
    (r"^[Bb]oolean$|^bool$|^AtomicBoolean$", SlotKind.BOOLEAN),
]]
_SHAPE_KINDS = {"hex": SlotKind.HEX_ID, "file_name": SlotKind.FILE_NAME, "message": SlotKind.ERROR_MESSAGE,
                "hostname": SlotKind.HOSTNAME, "ip": SlotKind.IPV4, "timestamp": SlotKind.TIMESTAMP,
                "object": SlotKind.OBJECT}
_COLLECTION = re.compile(r"^(List|ArrayList|LinkedList|Set|HashSet|TreeSet|LinkedHashSet|Collection|Queue|Deque|"
                         r"ArrayDeque|Vector|SortedSet|CopyOnWriteArrayList)$")
_NUMERIC_NAMED = frozenset({SlotKind.SIZE, SlotKind.DURATION, SlotKind.TIMESTAMP, SlotKind.COUNT, SlotKind.PORT,
                            SlotKind.NUMBER})
_NUMERIC_TYPE = re.compile(r"^(int|long|short|byte|float|double|Integer|Long|Short|Float|Double|AtomicLong|"
                           r"AtomicInteger)$")

# (pattern on the literal text before the slot, lower case; pattern on the text after; kind)
_CONTEXT_RULES: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None, SlotKind]] = [
    (re.compile(p) if p else None, re.compile(a) if a else None, k) for p, a, k in [
        (r"(src|dest|source|destination):\s*/$", None, SlotKind.SOCKET_ADDRESS),
        (r"\b(to|from|by|at|client)\s*/$", None, SlotKind.INET_ADDRESS),
        (r"\b(file|path|dir|directory|znode|snapshot)\s*:?\s*/?$", None, SlotKind.PATH),
        (r"/$", None, SlotKind.PATH),
        (r"\b(block|blk)\s*:?\s*$", None, SlotKind.BLOCK_ID),
        (r"\b(size|length|len|bytes)\s*[:=]?\s*$", None, SlotKind.SIZE),
        (r"\bport\s*[:=]?\s*$", None, SlotKind.PORT),
        (r"\b(host|hostname)\s*[:=]?\s*$", None, SlotKind.HOSTNAME),
        (r"\b(session|sessionid)\s*[:=]?\s*(0x)?$", None, SlotKind.HEX_ID),
        (r"\b(exception|error|due to|caused by|because)\s*:?\s*$", None, SlotKind.EXCEPTION),
        (r"\b(state|status|mode)\s*(is|=|:|to)?\s*$", None, SlotKind.ENUM),
        (r"\b(datanodes?(\(s\))?|nodes?|server|ip|address|addr|to|from|on)\s*[:=]?\s*$", None, SlotKind.HOST_PORT),
        (r"(\b(retry|retries|attempt|count|number of|num|total)\s*[:=#]?\s*|#)$", None, SlotKind.COUNT),
        (None, r"^\s*(times|retries|attempts|items|files|blocks|nodes|threads|entries|records)\b", SlotKind.COUNT),
        (r"\b(id|seqno|version|epoch|generation)\s*[:=]?\s*$", None, SlotKind.NUMBER),
        (r"\buuid\s*[:=]?\s*$", None, SlotKind.UUID),
    ]]


# a unit right after the slot settles its kind whatever the expression is called
_UNIT_RULES = [(re.compile(r"^\s*(bytes|kb|mb|gb)\b"), SlotKind.SIZE),
               (re.compile(r"^\s*(ms|msecs?|millis|milliseconds|seconds|secs|sec)\b"), SlotKind.DURATION)]


def _expr_words(expr: str) -> str:
    """Lower-case identifiers of an expression, getters and noise dropped: ``s.getRemoteSocketAddress()`` ->
    ``s.remotesocketaddress``."""
    words = []
    for ident in _IDENT.findall(_INDEX.sub("", _STRING_LIT.sub(" ", expr))):
        word = ident.lower()
        if word.startswith("get") and len(word) > 3:
            word = word[3:]
        if word not in _NOISE:
            words.append(word)
    return ".".join(words)


def infer_kind(slot: Slot) -> SlotKind:
    """The kind of one slot; see the module docstring for the order of evidence."""
    return infer_kind_source(slot)[0]


def infer_kind_source(slot: Slot) -> tuple[SlotKind, str]:
    """The kind of one slot and the evidence that decided it: ``literal``, ``type``, ``unit``, ``name``, ``text``
    or ``default``."""
    before, after = slot.before.lower(), slot.after.lower()
    if before.endswith("blk_"):
        return SlotKind.BLOCK_ID, "literal"
    if before.endswith("0x"):
        return SlotKind.HEX_ID, "literal"
    if not slot.expr and slot.next_is_slot and after == ":":  # a mined "<*>:<*>": host and port
        return SlotKind.IPV4, "literal"
    if not slot.expr and slot.prev_is_slot and before == ":":
        return SlotKind.PORT, "literal"
    typed = _kind_of_type(slot)
    if typed is not None:
        return typed, "type"
    simple_type = (slot.declared_type or "").split("<")[0].rsplit(".", 1)[-1]
    numeric = simple_type in NUMERIC_TYPES
    for after_pattern, kind in _UNIT_RULES:
        if after_pattern.search(after):
            return kind, "unit"
    words = _expr_words(slot.expr)
    if words:
        for pattern, kind in _EXPR_RULES:
            if pattern.search(words) and (not numeric or kind in _NUMERIC_NAMED):
                return kind, "name"
    for before_pattern, after_pattern, kind in _CONTEXT_RULES:
        if (before_pattern is None or before_pattern.search(before)) and \
                (after_pattern is None or after_pattern.search(after)) and (not numeric or kind in _NUMERIC_NAMED):
            return kind, "text"
    if numeric or _NUMERIC_TYPE.match(simple_type):
        return SlotKind.NUMBER, "type"
    return SlotKind.STRING, "default"


def _kind_of_type(slot: Slot) -> SlotKind | None:
    """The kind the code's type settles on its own (a number type only narrows: see :func:`infer_kind_source`)."""
    hint = slot.type
    if hint is not None and hint.shape in _SHAPE_KINDS:
        return _SHAPE_KINDS[hint.shape]
    simple_type = (slot.declared_type or "").split("<")[0].split("|")[0].strip().rsplit(".", 1)[-1]
    for pattern, kind in _TYPE_RULES:
        if simple_type and pattern.search(simple_type):
            return kind
    if hint is not None and hint.constants:  # enum constants, a ternary's texts, a class's toString template
        return SlotKind.ENUM
    if simple_type and _COLLECTION.match(simple_type):
        return SlotKind.LIST
    return None


def infer_slot_kinds(statement: Statement | Template | str, types: Sequence[TypeHint] = ()) -> list[SlotKind]:
    """Kinds of every slot of a statement (or a mined template, or template text)."""
    return [infer_kind(s) for s in _slots(statement, types)]


def slot_sources(statement: Statement | Template | str, types: Sequence[TypeHint] = ()) -> list[tuple[SlotKind, str]]:
    """(kind, evidence) of every slot; see :func:`infer_kind_source`."""
    return [infer_kind_source(s) for s in _slots(statement, types)]


def _slots(statement: Statement | Template | str, types: Sequence[TypeHint] = ()) -> list[Slot]:
    if isinstance(statement, Statement):
        return slots_of(statement.template, statement.args, types)
    return slots_of(statement.text if isinstance(statement, Template) else statement, (), types)


# ---- learned shapes ------------------------------------------------------------------------------------------

_IP4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_SHAPES: list[tuple[re.Pattern[str], SlotKind]] = [(re.compile(p), k) for p, k in [
    (r"blk_-?\d+", SlotKind.BLOCK_ID),
    (rf"/{_IP4}:\d+", SlotKind.SOCKET_ADDRESS),
    (rf"{_IP4}:\d+", SlotKind.HOST_PORT),
    (rf"/{_IP4}", SlotKind.INET_ADDRESS),
    (_IP4, SlotKind.IPV4),
    (r"0x[0-9a-fA-F]+", SlotKind.HEX_ID),
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", SlotKind.UUID),
    (r"(?:[\w$]+\.)*[\w$]*(?:Exception|Error)(?::.*)?", SlotKind.EXCEPTION),
    (r"/[^\s:]*", SlotKind.PATH),
    (r"-?\d+", SlotKind.NUMBER),
]]
_IP_IN = re.compile(rf"({_IP4})(?::(\d+))?")
_DIGITS = re.compile(r"\d+")


def classify_value(value: str) -> SlotKind | None:
    """The kind a real parameter's shape shows (``10.1.2.3:50010`` -> HOST_PORT), None when unclear."""
    for pattern, kind in _SHAPES:
        if pattern.fullmatch(value):
            return kind
    return None


@dataclass
class _Numbers:
    """A numeric kind's learned shape: digit-length mix, range, and frequent values."""

    lengths: Counter = field(default_factory=Counter)
    values: Counter = field(default_factory=Counter)
    low: int | None = None
    high: int | None = None

    def add(self, number: int) -> None:
        self.lengths[len(str(abs(number)))] += 1
        self.values[number] += 1
        self.low = number if self.low is None else min(self.low, number)
        self.high = number if self.high is None else max(self.high, number)

    def sample(self, rng: random.Random, min_count: int, allow_real: bool) -> int:
        total = sum(self.values.values())
        if allow_real:
            return _weighted(rng, self.values)
        frequent = Counter({v: c for v, c in self.values.items() if c >= min_count})
        if frequent and rng.random() < sum(frequent.values()) / total:
            return _weighted(rng, frequent)
        digits = _weighted(rng, self.lengths)
        low = max(10 ** (digits - 1) if digits > 1 else 0, self.low if self.low is not None and self.low >= 0 else 0)
        high = min(10 ** digits - 1, self.high if self.high is not None else 10 ** digits - 1)
        return rng.randint(min(low, high), max(low, high))


def _integer(value: str) -> int:
    """A number's value, also for hex (``0x1f``), which a numeric slot may print."""
    return int(value, 16) if value[:2].lower() == "0x" else int(value)


def _weighted(rng: random.Random, counts: Counter):
    keys = sorted(counts, key=str)
    return rng.choices(keys, weights=[counts[k] for k in keys])[0]


class ValueModel:
    """Value shapes learned from real parameters (see the module docstring); sample with :meth:`sample`."""

    def __init__(self, allow_real_values: bool = False, min_count: int = 20):
        self.allow_real_values = allow_real_values
        self.min_count = min_count
        self.subnets: Counter = Counter()  # "10.251" -> count
        self.ports: Counter = Counter()
        self.real_ips: set[str] = set()
        self.block_lengths: Counter = Counter()
        self.block_negative = 0
        self.blocks = 0
        self.skeletons: Counter = Counter()  # path with digit runs as "#"-runs
        self.hex_lengths: Counter = Counter()
        self.exceptions: Counter = Counter()  # class names
        self.numbers: dict[SlotKind, _Numbers] = {}
        self.real: dict[SlotKind, Counter] = {}
        # per real template and slot: numbers (range, lengths, frequent values) and words, and each template's
        # slot count, so a generated line on that template (--align-to) takes that slot's own shape
        self.slot_numbers: dict[tuple[str, int], _Numbers] = {}
        self.slot_words: dict[tuple[str, int], Counter] = {}
        self.slot_counts: dict[str, int] = {}

    @classmethod
    def fit(cls, data: Iterable[LogEvent | str], templates: dict[str, Template] | None = None,
            allow_real_values: bool = False, min_count: int = 20) -> ValueModel:
        """Learn from events (their ``parameters``, kinds from their template's text when ``templates`` has it)
        or from plain parameter strings (kinds from the value's shape)."""
        model = cls(allow_real_values, min_count)
        kinds_of: dict[str, list[SlotKind]] = {}
        for item in data:
            if isinstance(item, str):
                model.add(item)
                continue
            template = templates.get(item.template_id) if templates and item.template_id else None
            kinds = None
            if template is not None:
                kinds = kinds_of.get(template.text)
                if kinds is None:
                    kinds = kinds_of[template.text] = infer_slot_kinds(template)
            for i, value in enumerate(item.parameters):
                model.add(value, kinds[i] if kinds is not None and i < len(kinds) else None)
                if kinds is not None:
                    model.add_slot(item.template_id, i, value)
            if kinds is not None:
                model.slot_counts[item.template_id] = len(kinds)
        return model

    def add_slot(self, template_id: str, index: int, value: str) -> None:
        """Learn one real value of slot ``index`` of template ``template_id`` (numbers and plain words only)."""
        value = value.strip()
        if re.fullmatch(r"-?\d{1,18}", value):
            self.slot_numbers.setdefault((template_id, index), _Numbers()).add(int(value))
        elif re.fullmatch(r"[A-Za-z_]+", value):
            self.slot_words.setdefault((template_id, index), Counter())[value] += 1

    def sample_slot(self, template_id: str, index: int, kind: SlotKind, rng: random.Random) -> str | None:
        """A value in the shape slot ``index`` of real template ``template_id`` shows, or None: numbers for
        numeric kinds; for words, only those seen at least ``min_count`` times (or any with real values)."""
        key = (template_id, index)
        if kind in _CALIBRATED_NUMBERS and key in self.slot_numbers:
            return str(self.slot_numbers[key].sample(rng, self.min_count, self.allow_real_values))
        words = self.slot_words.get(key)
        if kind in (SlotKind.ENUM, SlotKind.STRING) and words:
            usable = words if self.allow_real_values else Counter({w: c for w, c in words.items()
                                                                  if c >= self.min_count})
            if usable:
                return _weighted(rng, usable)
        return None

    @classmethod
    def fit_structured(cls, path: str | Path, allow_real_values: bool = False, min_count: int = 20) -> ValueModel:
        """Learn from a Loghub structured CSV, or from any data set directory ``load_dataset`` reads; parameters
        come from ``ParameterList`` or from matching ``Content`` against its template."""
        from synthlog.io.datasets import load_dataset
        from synthlog.io.loghub import read_structured

        if Path(path).is_dir():
            ds = load_dataset(path)
            templates, events = ds.templates, list(ds.events())
        else:
            templates = {}
            events = list(read_structured(path, templates))
        extract = ParameterExtractor()
        for event in events:
            if not event.parameters and event.content and event.template_id in templates:
                event.parameters = extract(templates[event.template_id].text, event.content)
        return cls.fit(events, templates, allow_real_values, min_count)

    def add(self, value: str, kind: SlotKind | None = None) -> None:
        """Learn one real value; ``kind`` (from the template) refines what its shape alone says."""
        value = value.strip()
        shape = classify_value(value)
        if shape is None:
            return
        if shape == SlotKind.NUMBER and kind == SlotKind.BLOCK_ID:
            value, shape = f"blk_{value}", SlotKind.BLOCK_ID
        if shape in (SlotKind.NUMBER, SlotKind.HEX_ID) and kind in NUMERIC_KINDS:
            shape = kind
        self.real.setdefault(shape, Counter())[value] += 1
        if shape == SlotKind.BLOCK_ID:
            digits = value[4:]
            self.blocks += 1
            self.block_negative += digits.startswith("-")
            self.block_lengths[len(digits.lstrip("-"))] += 1
        elif shape in (SlotKind.SOCKET_ADDRESS, SlotKind.HOST_PORT, SlotKind.INET_ADDRESS, SlotKind.IPV4):
            match = _IP_IN.search(value)
            if match:
                self.real_ips.add(match.group(1))
                self.subnets[".".join(match.group(1).split(".")[:2])] += 1
                if match.group(2):
                    self.ports[int(match.group(2))] += 1
        elif shape == SlotKind.PATH:
            self.skeletons[_DIGITS.sub(lambda m: "#" * len(m.group()), value)] += 1
        elif shape == SlotKind.HEX_ID:
            self.hex_lengths[len(value) - 2] += 1
        elif shape == SlotKind.EXCEPTION:
            self.exceptions[value.split(":", 1)[0]] += 1
        elif shape == SlotKind.PORT:
            self.ports[_integer(value)] += 1
        elif shape in NUMERIC_KINDS:
            self.numbers.setdefault(shape, _Numbers()).add(_integer(value))

    def knows(self, kind: SlotKind) -> bool:
        if kind in self.numbers or (self.allow_real_values and kind in self.real):
            return True
        return {SlotKind.BLOCK_ID: self.blocks > 0, SlotKind.PATH: bool(self.skeletons),
                SlotKind.HEX_ID: bool(self.hex_lengths)}.get(kind, False)

    def sample(self, kind: SlotKind, rng: random.Random) -> str | None:
        """A value of a non-node kind in a learned shape, or None when nothing was learned for it."""
        if not self.knows(kind):
            return None
        if self.allow_real_values and kind in self.real and kind not in self.numbers:
            return _weighted(rng, self.real[kind])
        if kind == SlotKind.BLOCK_ID:
            digits = _weighted(rng, self.block_lengths)
            number = rng.randint(10 ** (digits - 1), 10 ** digits - 1)
            return f"blk_{'-' if rng.random() < self.block_negative / self.blocks else ''}{number}"
        if kind == SlotKind.PATH:
            skeleton = _weighted(rng, self.skeletons)
            return re.sub("#+", lambda m: "".join(rng.choice("0123456789") for _ in m.group()), skeleton)
        if kind == SlotKind.HEX_ID:
            return f"0x{rng.getrandbits(4 * _weighted(rng, self.hex_lengths)):x}"
        return str(self.numbers[kind].sample(rng, self.min_count, self.allow_real_values))

    def cluster_ips(self, rng: random.Random, size: int) -> list[str]:
        """``size`` distinct addresses in the learned subnets (real ones only with ``allow_real_values``)."""
        if self.allow_real_values and self.real_ips:
            real = sorted(self.real_ips)
            rng.shuffle(real)
            return real[:size]
        ips: list[str] = []
        while len(ips) < size:
            subnet = _weighted(rng, self.subnets)
            ip = f"{subnet}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if ip not in self.real_ips and ip not in ips:
                ips.append(ip)
        return ips

    def service_port(self) -> int | None:
        """The commonest learned port when it is frequent (a service's listening port, e.g. 50010)."""
        if not self.ports:
            return None
        port, count = max(self.ports.items(), key=lambda kv: (kv[1], -kv[0]))
        return port if count >= self.min_count or self.allow_real_values else None


# ---- generation ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Node:
    ip: str
    port: int
    hostname: str


@dataclass
class ValueContext:
    """The values of one session: entity -> value, and the session's pool of ``nodes`` nodes."""

    seed: int
    nodes: int = 3
    rng: random.Random | None = None  # the session's generator; None: one seeded with seed
    entities: dict[tuple[str, str], object] = field(default_factory=dict)
    pool: list[Node] | None = None
    # node slots apart from the other entities: node key -> node, and the ephemeral port of a remote end; a run's
    # binding resets them without scanning every entity, and the i-th node key is the i-th entry
    node_of: dict[str, Node] = field(default_factory=dict)
    port_of: dict[str, int] = field(default_factory=dict)
    run: int | None = None  # the run of a recipe stage being rendered (0-based) and its stage's number of runs:
    runs: int | None = None  # a number named as the run's position or its downstream peers follows them

    def __post_init__(self) -> None:
        if self.rng is None:
            self.rng = random.Random(self.seed)

    def entity(self, group: str, key: str, make):
        """The value of entity ``(group, key)``, made by ``make()`` the first time it is asked for."""
        if (group, key) not in self.entities:
            self.entities[(group, key)] = make()
        return self.entities[(group, key)]


_JAVA_EXCEPTIONS = [
    ("java.io.IOException", "Connection reset by peer"),
    ("java.net.SocketTimeoutException", "60000 millis timeout while waiting for channel to be ready for read"),
    ("java.io.EOFException", ""),
    ("java.net.ConnectException", "Connection refused"),
    ("java.io.IOException", "Broken pipe"),
    ("java.io.InterruptedIOException", "Interrupted while waiting for IO on channel"),
    ("java.nio.channels.ClosedChannelException", ""),
    ("java.io.IOException", "Could not read from stream"),
    ("java.lang.NullPointerException", ""),
    ("java.io.IOException", "No space left on device"),
]
# packages of library exceptions a slot's declared type may name (Java prints the qualified name)
_JAVA_PACKAGES = {
    "java.io": ["IOException", "EOFException", "FileNotFoundException", "InterruptedIOException",
                "UnsupportedEncodingException", "SyncFailedException"],
    "java.net": ["SocketException", "SocketTimeoutException", "ConnectException", "UnknownHostException",
                 "BindException", "NoRouteToHostException", "MalformedURLException"],
    "java.nio.channels": ["ClosedChannelException", "CancelledKeyException", "AsynchronousCloseException"],
    "java.lang": ["Exception", "RuntimeException", "InterruptedException", "NullPointerException",
                  "IllegalStateException", "IllegalArgumentException", "NumberFormatException",
                  "IndexOutOfBoundsException", "ClassNotFoundException", "SecurityException", "Throwable", "Error",
                  "OutOfMemoryError", "UnsupportedOperationException"],
    "java.util": ["NoSuchElementException", "ConcurrentModificationException"],
    "java.util.concurrent": ["TimeoutException", "ExecutionException", "RejectedExecutionException"],
    "javax.security.sasl": ["SaslException"],
    "javax.security.auth.login": ["LoginException"],
}
_JAVA_QUALIFIED = {simple: f"{package}.{simple}" for package, names in _JAVA_PACKAGES.items() for simple in names}
_PYTHON_EXCEPTIONS = [
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("TimeoutError", "timed out"),
    ("ConnectionRefusedError", "[Errno 111] Connection refused"),
    ("FileNotFoundError", "[Errno 2] No such file or directory"),
    ("OSError", "[Errno 28] No space left on device"),
    ("KeyError", "'id'"),
    ("ValueError", "invalid literal for int() with base 10"),
]
_ENUM_WORDS = ["ACTIVE", "CLOSED", "IDLE", "NORMAL", "PENDING", "READY", "RUNNING", "STARTING", "STOPPED"]
_STRING_WORDS = ["default", "primary", "local", "main", "worker", "replica", "backup", "system", "client", "data"]
_PATH_ROOTS = ["data", "var/lib", "srv", "tmp"]
_PATH_NOISE = {"file", "path", "dir", "directory", "name", "absolute", "canonical", "parent", "f", "p", "d"}
DEFAULT_EPOCH = 1704067200.0  # 2024-01-01T00:00:00Z: timestamps printed in messages, when no clock is given
_OVERRIDE_FIELD = re.compile(r"\{([a-z_]+)\}")
_DIGIT_TEXT = "0123456789"


def _path_stem(slot_words: str) -> str:
    """A directory word from the expression's own name: ``snapDir`` -> ``snap``, ``dataLogDir`` -> ``datalog``."""
    for word in reversed(slot_words.split(".")):
        word = re.sub(r"(dir|directory|file|path|name)s?$", "", word)
        if len(word) > 1 and word not in _PATH_NOISE and word.isalpha():
            return word
    return "files"


# names of a number that is a run's position in its stage, or the count of the runs after it (a pipeline's
# downstream targets: HDFS's ``PacketResponder <numTargets>``)
_RUN_INDEX = re.compile(r"^(index|idx|rank|pos|position|replicaindex|runindex)$")
_RUN_DOWNSTREAM = re.compile(r"^num(targets|peers|mirrors|downstream|successors)$|^(targets|downstream)count$")
_RUN_KINDS = frozenset({SlotKind.COUNT, SlotKind.NUMBER})


_RUN_POSITION, _RUN_PEERS = "position", "peers"  # compared by identity


def _run_how(key: str, kind: SlotKind) -> str | None:
    """Whether a slot is a number named as the run's position, or as its downstream count (what
    :func:`_run_number` gives it), worked out once per slot."""
    if kind not in _RUN_KINDS:
        return None
    return _RUN_POSITION if _RUN_INDEX.match(key) else _RUN_PEERS if _RUN_DOWNSTREAM.match(key) else None


def _run_number(how: str | None, ctx: ValueContext) -> str | None:
    """The run's position or its downstream count for a slot :func:`_run_how` named (else None)."""
    if how is None or ctx.run is None:
        return None
    if how is _RUN_POSITION:
        return str(ctx.run)
    return str(ctx.runs - 1 - ctx.run) if ctx.runs else None  # a pipeline's first node has all others downstream


def _entity_key(slot: Slot, kind: SlotKind) -> str:
    words = _expr_words(slot.expr)
    if kind == SlotKind.BLOCK_ID:
        named = re.search(r"(^|\.)(new|old|other|next|prev|last|src|dst|target)[a-z]*block", words)
        return named.group(2) if named else "primary"
    if kind in NODE_KINDS:
        if re.search(r"registration|(^|\.)(self|local|me|localaddr|localaddress|localsocketaddress)$", words):
            return "self"
        if words:
            return re.sub(r"\.(port|ipaddr|hostname|host|name|addr|address|socketaddress|inetaddress)$", "", words)
        return "ctx:" + (re.findall(r"[a-z]+", slot.before.lower()) or ["?"])[-1]
    if re.search(r"[-+*/%]", _STRING_LIT.sub("", slot.expr)):  # n/1024 is not n
        return re.sub(r"\s+", "", slot.expr)
    if words:
        return words.rsplit(".", 1)[-1]
    return "ctx:" + (re.findall(r"[a-z]+", slot.before.lower()) or [str(slot.index)])[-1]


_OVERLAPS = ("blk_", "0x", "/")  # prefixes a value may share with the template text right before its slot


@dataclass(frozen=True, slots=True)
class _SlotPlan:
    kind: SlotKind
    key: str  # entity key: the same key keeps one value through a session
    before: str
    type: SlotType | None
    words: str  # the expression's identifiers


@functools.lru_cache(maxsize=16384)
def _plan(template: str, args: tuple[str, ...], types: tuple[TypeHint, ...]) -> tuple[_SlotPlan, ...]:
    """What fills each slot; a port right after a host (``<*>:<*>``) is that host's port."""
    plan = []
    last_node_key: str | None = None
    for slot in slots_of(template, args, types):
        kind = infer_kind(slot)
        key = _entity_key(slot, kind)
        if kind == SlotKind.PORT and slot.prev_is_slot and slot.before == ":" and last_node_key:
            key = last_node_key
        if kind in NODE_KINDS:
            last_node_key = key
        plan.append(_SlotPlan(kind, key, slot.before, slot.type, _expr_words(slot.expr)))
    return tuple(plan)


# how a slot's value is found (compared by identity); "custom": a recipe pattern or a template of its own
_NODE, _FRESH, _ENTITY, _CUSTOM = "node", "fresh", "entity", "custom"


@dataclass(frozen=True, slots=True)
class _FillPlan:
    """How to fill one template, worked out once: per slot how its value is found, its kind, its entity key,
    the prefix the template already prints and its :class:`_SlotPlan`; the template as a ``%`` format string."""

    text: str
    slots: tuple[tuple[str, SlotKind, tuple[str, str], str, _SlotPlan, str | None, list[str] | None], ...]
    python: bool

    @classmethod
    def of(cls, statement: Statement | Template | str, types: tuple[TypeHint, ...],
           overrides: dict[str, list[str]]) -> _FillPlan:
        template = statement.template if isinstance(statement, Statement) else (
            statement.text if isinstance(statement, Template) else statement)
        args = tuple(statement.args) if isinstance(statement, Statement) else ()
        slots = []
        for slot in _plan(template, args, types):
            kind = slot.kind
            how = _NODE if kind in NODE_KINDS else _FRESH if kind in _FRESH_KINDS else _ENTITY
            if how is not _NODE and _custom(slot, overrides):
                how = _CUSTOM
            prefix = next((p for p in _OVERLAPS if slot.before.endswith(p)), "")
            patterns = _patterns_of(slot, overrides) if how is _CUSTOM else None
            slots.append((how, kind, (kind.value, slot.key), prefix, slot, _run_how(slot.key, kind), patterns))
        text = "%s".join(piece.replace("%", "%%") for piece in template.split(WILDCARD))
        return cls(text, tuple(slots), isinstance(statement, Statement) and statement.language == "python")


def _patterns_of(slot: _SlotPlan, overrides: dict[str, list[str]]) -> list[str] | None:
    """A recipe's value patterns for a slot: by its declared type's simple name, else by its kind (not a node's)."""
    patterns = overrides.get(slot.type.name) if slot.type is not None and slot.type.name else None
    if patterns is None and slot.kind not in NODE_KINDS:
        patterns = overrides.get(slot.kind.value)
    return patterns


def _custom(slot: _SlotPlan, overrides: dict[str, list[str]]) -> bool:
    """Whether a slot takes a recipe pattern or is a template of its own (see ``ValueGenerator._slot_value``)."""
    if slot.type is not None and slot.type.name in overrides or slot.kind.value in overrides:
        return True
    constants = slot.type.constants if slot.type is not None and slot.kind == SlotKind.ENUM else ()
    return any(WILDCARD in c for c in constants)


@functools.lru_cache(maxsize=4096)
def _is_remote(key: str) -> bool:
    """Whether a node key names the far end of a connection (which talks from an ephemeral port)."""
    return re.search(r"remote|client|peer|src|source", key) is not None


class ValueGenerator:
    """Fills statements' slots; one generator per run (it owns the cluster), one :class:`ValueContext` per session.

    Nodes listen on the learned service port, else ``service_port``, else a port drawn once per generator.
    ``overrides`` maps a declared type's simple name (``File``) or a kind (``path``, ``size``) to value patterns
    (``#``: a random digit; ``{block_id}``: the session's value of that kind), the code base's own shapes.
    ``epoch`` anchors timestamps printed inside messages.
    """

    def __init__(self, seed: int = 0, model: ValueModel | None = None, cluster_size: int = 64,
                 service_port: int | None = None, overrides: dict[str, Sequence[str]] | None = None,
                 epoch: float = DEFAULT_EPOCH):
        self.seed = seed
        self.model = model
        self.overrides = {k: list(v) for k, v in (overrides or {}).items() if v}
        self.epoch = epoch
        rng = random.Random(f"cluster:{seed}")
        if model is not None and model.subnets:
            ips = model.cluster_ips(rng, cluster_size)
        else:
            subnets = [f"10.{rng.randint(0, 255)}" for _ in range(2)]
            ips = sorted({f"{rng.choice(subnets)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                          for _ in range(cluster_size)})
        port = model.service_port() if model is not None else None
        port = port or service_port or rng.randint(1024, 32767)
        self.cluster = [Node(ip, port, f"node-{i:03d}.cluster.local") for i, ip in enumerate(ips)]
        self._plans: dict[tuple, _FillPlan] = {}
        self._last_plans: dict[str, tuple[str, Sequence[TypeHint], _FillPlan]] = {}  # statement id -> its last plan

    def context(self, seed: int, nodes: int = 3, rng: random.Random | None = None) -> ValueContext:
        """A session's values; ``rng``: the session's own generator (else one seeded with ``seed``)."""
        return ValueContext(seed=seed, nodes=nodes, rng=rng)

    def fill(self, statement: Statement | Template | str, ctx: ValueContext, types: Sequence[TypeHint] = (),
             exception_type: str | None = None, template_id: str | None = None) -> tuple[str, list[str]]:
        """The line and its parameters: every slot filled, entity-consistent within ``ctx``.

        ``types`` (one :class:`SlotType` or type name per slot) is what the code says about each slot;
        ``exception_type`` (e.g. from a path's ``exception:SocketTimeoutException`` exit) steers exception slots;
        ``template_id``, the real template the line is on, lets a fitted model give each slot that template's own
        shape (when the real template has as many slots).
        """
        return self.fill_planned(self.plan_of(statement, types), ctx, exception_type, template_id)

    def plan_of(self, statement: Statement | Template | str, types: Sequence[TypeHint] = ()) -> _FillPlan:
        """How :meth:`fill` fills ``statement`` with ``types`` (worked out once; keep it to skip the look-up)."""
        if isinstance(statement, Statement):
            # the same statement with the very same types object: no hashing of the (nested) slot types
            seen = self._last_plans.get(statement.id)
            if seen is not None and seen[1] is types and seen[0] == statement.template:
                return seen[2]
        return self._plan(statement, types)

    def fill_planned(self, plan: _FillPlan, ctx: ValueContext, exception_type: str | None = None,
                     template_id: str | None = None) -> tuple[str, list[str]]:
        """:meth:`fill` with the statement's :meth:`plan_of`."""
        model = self.model
        if model is not None and template_id is not None and model.slot_counts.get(template_id) == len(plan.slots):
            return self._fill_calibrated(plan, ctx, exception_type, template_id)
        python, entities, rng = plan.python, ctx.entities, ctx.rng
        params = []
        for how, kind, entity, prefix, slot, run_how, patterns in plan.slots:
            if run_how is not None and (value := _run_number(run_how, ctx)) is not None:  # the run's position
                pass
            elif how is _NODE:
                value = self._node_value(kind, entity[1], ctx)
            elif how is _ENTITY:
                value = entities.get(entity)
                if value is None:
                    value = entities[entity] = self._make(kind, rng, python, exception_type, slot.type, slot.words)
            elif how is _FRESH:
                value = self._make(kind, rng, python, exception_type, slot.type, slot.words)
            elif patterns is not None:  # a recipe's patterns, one value per entity
                value = entities.get(entity)
                if value is None:
                    value = entities[entity] = self._pattern(patterns, ctx)
            else:
                value = self._slot_value(slot, ctx, python, exception_type)
            if prefix and value.startswith(prefix):  # the template already prints it (blk_<*> + blk_42 -> 42)
                value = value[len(prefix):]
            params.append(value)
        return plan.text % tuple(params), params

    def _fill_calibrated(self, plan: _FillPlan, ctx: ValueContext, exception_type: str | None,
                         template_id: str) -> tuple[str, list[str]]:
        """:meth:`fill_planned` with a fitted model that knows the real template ``template_id``'s slots: each
        slot takes that template's own shape (node slots and run numbers as ever)."""
        python, entities, rng, model = plan.python, ctx.entities, ctx.rng, self.model
        params = []
        for at, (how, kind, entity, prefix, slot, run_how, patterns) in enumerate(plan.slots):
            value = _run_number(run_how, ctx) if run_how is not None else None  # the run's position or peers
            if value is None and how is not _NODE:  # the real template's own shape for this slot
                value = model.sample_slot(template_id, at, kind, rng) if how is _FRESH else \
                    ctx.entity(f"slot:{kind.value}", slot.key,
                               lambda m=model, a=at, k=kind: m.sample_slot(template_id, a, k, rng))
            if value is not None:
                pass
            elif how is _NODE:
                value = self._node_value(kind, entity[1], ctx)
            elif how is _FRESH:
                value = self._make(kind, rng, python, exception_type, slot.type, slot.words)
            elif how is _ENTITY:
                value = entities.get(entity)
                if value is None:
                    value = entities[entity] = self._make(kind, rng, python, exception_type, slot.type, slot.words)
            elif patterns is not None:
                value = entities.get(entity)
                if value is None:
                    value = entities[entity] = self._pattern(patterns, ctx)
            else:
                value = self._slot_value(slot, ctx, python, exception_type)
            if prefix and value.startswith(prefix):
                value = value[len(prefix):]
            params.append(value)
        return plan.text % tuple(params), params

    def _plan(self, statement: Statement | Template | str, types: Sequence[TypeHint]) -> _FillPlan:
        if isinstance(statement, Statement):
            cache_key = (statement.id, statement.template, tuple(types))
        else:
            cache_key = (statement.text if isinstance(statement, Template) else statement, tuple(types))
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = self._plans[cache_key] = _FillPlan.of(statement, tuple(types), self.overrides)
        if isinstance(statement, Statement):
            self._last_plans[statement.id] = (statement.template, types, plan)
        return plan

    def _slot_value(self, slot: _SlotPlan, ctx: ValueContext, python: bool, exception_type: str | None) -> str:
        patterns = _patterns_of(slot, self.overrides)
        if patterns is not None:
            return ctx.entity(slot.kind.value, slot.key, lambda: self._pattern(patterns, ctx))
        constants = slot.type.constants if slot.type is not None and slot.kind == SlotKind.ENUM else ()
        if any(WILDCARD in c for c in constants):  # a template of its own (toString, a ternary): filled in turn
            return ctx.entity("enum", slot.key, lambda: self._nested(slot.type, ctx, python, exception_type))
        return self.value(slot.kind, slot.key, ctx, python, exception_type, slot.type, slot.words)

    def _nested(self, slot_type: SlotType, ctx: ValueContext, python: bool, exception_type: str | None) -> str:
        """One of a slot's template constants, its own slots filled with their types."""
        pick = ctx.rng.randrange(len(slot_type.constants))
        types = slot_type.inner[pick] if pick < len(slot_type.inner) else ()
        return self.fill(slot_type.constants[pick], ctx, types, exception_type)[0]

    def _pattern(self, patterns: list[str], ctx: ValueContext) -> str:
        rng = ctx.rng
        pattern = patterns[below(rng, len(patterns))]

        def field_value(match: re.Match[str]) -> str:
            kind = _KINDS.get(match.group(1))
            return match.group(0) if kind is None else self.value(kind, "primary", ctx)
        if "{" in pattern:
            pattern = _OVERRIDE_FIELD.sub(field_value, pattern)
        pieces = pattern.split("#")  # every '#' a random digit, left to right
        if len(pieces) == 1:
            return pattern
        out = [pieces[0]]
        for piece in pieces[1:]:
            out += [_DIGIT_TEXT[below(rng, 10)], piece]
        return "".join(out)

    def value(self, kind: SlotKind, key: str, ctx: ValueContext, python: bool = False,
              exception_type: str | None = None, slot_type: SlotType | None = None, words: str = "") -> str:
        """One value of ``kind`` for entity ``key`` (fresh for durations and timestamps)."""
        if kind in NODE_KINDS:
            return self._node_value(kind, key, ctx)
        if ctx.run is not None and (position := _run_number(_run_how(key, kind), ctx)) is not None:
            return position
        if kind in _FRESH_KINDS:
            return self._make(kind, ctx.rng, python, exception_type, slot_type, words)
        return ctx.entity(kind.value, key, lambda: self._make(kind, ctx.rng, python, exception_type, slot_type,
                                                              words))

    def _node_value(self, kind: SlotKind, key: str, ctx: ValueContext) -> str:
        if ctx.pool is None:
            ctx.pool = ctx.rng.sample(self.cluster, min(ctx.nodes, len(self.cluster)))
        node_of = ctx.node_of
        node = node_of.get(key)
        if node is None:  # the i-th node key named in a session takes the pool's i-th node
            pool = ctx.pool
            node = node_of[key] = pool[len(node_of) % len(pool)]
        if _is_remote(key):
            port = ctx.port_of.get(key)
            if port is None:
                port = ctx.port_of[key] = between(ctx.rng, 32768, 60999)
        else:
            port = node.port
        match kind:
            case SlotKind.IPV4:
                return node.ip
            case SlotKind.HOST_PORT:
                return f"{node.ip}:{port}"
            case SlotKind.SOCKET_ADDRESS:
                return f"/{node.ip}:{port}"
            case SlotKind.INET_ADDRESS:
                return f"/{node.ip}"
            case SlotKind.PORT:
                return str(port)
            case SlotKind.HOSTNAME:
                return node.hostname
        octets = [int(x) for x in node.ip.split(".")]
        return str(ipaddress.IPv6Address((0xFD00 << 112) | (octets[1] << 16 | octets[2] << 8 | octets[3])))

    def _make(self, kind: SlotKind, rng: random.Random, python: bool, exception_type: str | None,
              slot_type: SlotType | None = None, words: str = "") -> str:
        if self.model is not None:
            learned = self.model.sample(kind, rng)
            if learned is not None:
                return learned
        match kind:
            case SlotKind.BLOCK_ID:
                return f"blk_{rng.choice(['', '-'])}{rng.getrandbits(63)}"
            case SlotKind.PATH:
                stem = _path_stem(words)
                path = f"/{rng.choice(_PATH_ROOTS)}/{stem}"
                return path if re.search(r"dir|directory|root|home", words) else f"{path}/{stem}.{rng.randint(1, 9999)}"
            case SlotKind.FILE_NAME:
                return f"{_path_stem(words)}.{rng.getrandbits(rng.choice([16, 32, 36])):x}"
            case SlotKind.SIZE:
                return str(int(math.exp(rng.uniform(0.0, math.log(1e8)))))
            case SlotKind.DURATION:
                return str(max(1, int(math.exp(rng.gauss(4.0, 1.5)))))
            case SlotKind.TIMESTAMP:
                return str(int(self.epoch * 1000) + rng.randint(0, 86400 * 1000))
            case SlotKind.COUNT:
                return str(min(int(rng.expovariate(0.4)), 64))
            case SlotKind.NUMBER:
                if slot_type is not None and slot_type.name in ("float", "double", "Float", "Double"):
                    return f"{math.exp(rng.uniform(-3, 8)):.3f}"
                return str(rng.randint(0, 10 ** rng.randint(1, 6)))
            case SlotKind.UUID:
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case SlotKind.HEX_ID:  # Long.toHexString prints bare digits; "0x" comes from the template's text
                digits = f"{rng.getrandbits(rng.choice([33, 41, 57])) | 1:x}"
                return digits if slot_type is not None and slot_type.shape == "hex" else f"0x{digits}"
            case SlotKind.EXCEPTION | SlotKind.ERROR_MESSAGE:
                cls, message = self._exception(rng, python, exception_type, slot_type)
                if kind == SlotKind.ERROR_MESSAGE:
                    return message or "null"  # Java's getMessage() of an exception without one
                return f"{cls}: {message}" if message else cls
            case SlotKind.ENUM:
                if slot_type is not None and slot_type.constants:
                    return rng.choice(slot_type.constants)
                return rng.choice(_ENUM_WORDS)
            case SlotKind.BOOLEAN:
                return rng.choice(["True", "False"] if python else ["true", "false"])
            case SlotKind.OBJECT:
                qualified = slot_type.qualified if slot_type is not None else "java.lang.Object"
                return f"{qualified}@{rng.getrandbits(31) | (1 << 24):x}"
            case SlotKind.LIST:
                element = SlotKind.NUMBER if re.search(r"ids?$|sids?$|counts?$", words) else SlotKind.STRING
                items = [self._make(element, rng, python, None) for _ in range(rng.randint(1, 3))]
                return f"[{', '.join(items)}]"
        return f"{rng.choice(_STRING_WORDS)}-{rng.randint(1, 99)}"

    def _exception(self, rng: random.Random, python: bool, wanted: str | None,
                   slot_type: SlotType | None = None) -> tuple[str, str]:
        pool = _PYTHON_EXCEPTIONS if python else _JAVA_EXCEPTIONS
        if slot_type is not None and slot_type.messages:  # what the code throws into this catch
            message = _fill_message(rng.choice(slot_type.messages), rng)
            declared = slot_type.qualified or _qualified(slot_type.name, pool)
            return declared, message
        if wanted:
            simple = wanted.removeprefix("exception:").rsplit(".", 1)[-1]
            matching = [e for e in pool if e[0].rsplit(".", 1)[-1] == simple]
            return rng.choice(matching) if matching else (wanted.removeprefix("exception:"), "")
        if slot_type is not None and slot_type.name and slot_type.name not in ("Exception", "Throwable", "String"):
            simple = slot_type.name.split("|")[0].strip()
            matching = [e for e in pool if e[0].rsplit(".", 1)[-1] == simple]
            if matching:
                return rng.choice(matching)
            if slot_type.qualified or simple.endswith(("Exception", "Error")):
                return slot_type.qualified or _qualified(simple, pool), ""
        if self.model is not None and self.model.exceptions:
            return _weighted(rng, self.model.exceptions), ""
        return rng.choice(pool)


def _qualified(simple: str, pool: list[tuple[str, str]]) -> str:
    """The package-qualified name of a library exception when the pool knows it (``IOException`` ->
    ``java.io.IOException``), else the simple name (a class of the code base is qualified by the code)."""
    simple = simple.split("|")[0].strip()
    known = next((name for name, _ in pool if name.rsplit(".", 1)[-1] == simple), None)
    return known or _JAVA_QUALIFIED.get(simple, simple)


def _fill_message(template: str, rng: random.Random) -> str:
    """A thrown message's template with its own slots filled with plain numbers."""
    return re.sub(re.escape(WILDCARD), lambda _m: str(rng.randint(1, 9999)), template)
