"""The statistics spec: pydantic v2 models of a system's services, messages, traffic, errors, causality and anomalies.

A spec describes a system well enough for the discrete-event simulator (:mod:`synthlog.stats.simulate`) to
manufacture labeled logs from it, and is what the profiler (:mod:`synthlog.stats.profile`) derives from real logs.
Every model forbids unknown keys; cross references are checked after parsing, so an impossible spec is refused
before anything runs, with the field at fault named (see :func:`spec_problems`).

The model, top down (YAML keys)::

    name: payment                    # data set name: files are <name>.log, <name>.log_structured.csv ...
    start: 2026-01-01T00:00:00Z      # simulated clock start (UTC)
    services:                        # who exists, who calls whom, what each one logs
      - name: api-gateway
        rate: 200                    # requests/s entering the system here (0: reached only through calls)
        error_rate: 0.001            # probability that a request handled here fails on its own
        flow: [gw_received, gw_sent] # messages logged, in order, for every request handled here
        step: 2ms                    # time between consecutive flow lines (a Dist, see below)
        calls:                       # downstream calls made after the first flow line
          - {to: payment-api, probability: 0.9, latency: [1ms, 20ms]}
        messages:                    # the catalogue: template with slots, level, error type
          - id: gw_received          # unique across the whole spec
            template: "Received <method> <*> from <ip>"   # <*>: anonymous int slot; <name>: slot in params
            level: INFO              # TRACE DEBUG INFO WARN ERROR FATAL
            error_type: null         # e.g. timeout, out_of_memory: marks an error message
            params:
              method: {kind: choice, values: [GET, POST], weights: [0.7, 0.3]}
              ip: {kind: ip}
            variants: ["<method> <*> received from <ip>"]   # other wordings, same slots (optional)
    traffic:                         # normal traffic shape on top of each service's rate
      daily_cycle: {amplitude: 0.3, peak_hour: 14}   # rate * (1 + a*cos(2pi(h - peak)/24))
      bursts: {rate_per_hour: 2, multiplier: 4, duration: [30s, 2m]}
    error_mix: {timeout: 0.18, out_of_memory: 0.12, ...}   # shares of spontaneous failures by type (sum <= 1)
    causal:                          # when A logs X, B logs Y within a lag with probability p (same request)
      - when: {service: payment-api, error_type: timeout}  # or message: <id>
        then: {service: auth-service, error_type: auth_failure}   # or message: <id>
        probability: 0.7
        lag: [100ms, 500ms]
        observed: false              # true: only recorded (a pair the sessions already produce), never fired
    anomalies:                       # anomaly scenarios: labeled episodes
      - name: db-cascade
        type: cascading_failure      # free label (cascading_failure, resource_exhaustion, timeout_storm, ...)
        rate_per_hour: 0.5
        origin: [ledger-db]          # where an episode starts (empty: any service)
        severity: 0.8                # failure probability of requests at affected services during the episode
        duration: [2m, 5m]
        error_mix: {timeout: 1.0}    # error types of the episode's failures (default: the spec's error_mix)
        propagation: {direction: upstream, probability: 0.7, lag: [5s, 30s], max_hops: 3}
        emit: [{message: db_pool_exhausted, every: 5s}]   # lines logged periodically during the episode
        recovery: {time: [30s, 90s], message: db_recovered}  # failures fade out over the recovery time
    sessions:                        # optional entity sessions driven by a Markov model (HDFS blocks ...)
      - name: block
        rate: 5                      # sessions/s
        id: {prefix: "blk_", kind: int64}
        context_key: block_id
        normal: {start: {E5: 1.0}, transitions: {E5: {E22: 1.0}, E22: {END: 1.0}}, gap: [1ms, 2s],
                 gaps: {E5: {E22: [1h, 2h]}}}   # optional per-transition gaps (default: gap)
        anomalous: {...same shape...}
        anomaly_probability: 0.03
        anomaly_type: block_anomaly
    label_column: SessionId          # header of the id column in anomaly_label.csv (BlockId for HDFS)
    layout:                          # optional: write NAME.log in the source's own layout (profile writes this)
      format: "<Date> <Time> <Pid> <Level> <Component>: <Content>"   # a Loghub format string
      source: hdfs                   # given, a built-in format name, or inferred
      resolution: 1.0                # clock step in seconds
      levels: {INFO: 0.96, WARN: 0.04}             # level words of the source and their shares
      fields:                        # one per header, in order
        - {name: Date, kind: time, time_format: "%y%m%d"}
        - {name: Time, kind: time, time_format: "%H%M%S"}   # offset: seconds, for a second clock
        - {name: Pid, kind: value, template: "<p1>", params: {p1: {kind: int, min: 19, max: 24000}}}
        - {name: Level, kind: level}                 # a message's levels: {WARN: 0.9, ERROR: 0.1} (else level)
        - {name: Component, kind: message, default: dfs.DataNode}   # a message's fields: {Component: {...}}
        - {name: Content, kind: content}             # also: {kind: copy, same_as: Node}

A **Dist** (durations in seconds; strings like ``"250ms"``, ``"2s"``, ``"5m"``, ``"1h"``, ``"1d"`` are accepted)
is one of: a plain duration (fixed), a pair ``[min, max]`` (uniform), or a mapping ``{dist: fixed|uniform|
exponential|lognormal|normal|empirical, ...}`` with ``value`` / ``min``, ``max`` / ``mean`` / ``median``,
``sigma`` / ``mean``, ``std`` / ``values``, ``weights``; ``min`` and ``max`` also clip the other kinds.

Semantics the simulator follows: a request at a service logs ``flow[0]`` at its arrival, makes its calls (each
taken with its probability, arriving after its latency), and logs the rest of the flow ``step`` apart. If it fails
(spontaneously with ``error_rate`` or during an anomaly episode with ``severity``) it logs ``flow[0]`` and then one
error message of the chosen error type, and calls nothing. Spontaneous failures draw their type so that the run's
overall mix follows ``error_mix`` as far as each service's catalogue allows; episode failures use the episode's.
Causal rules fire on matching lines of the same request, recursively up to ``causal_depth``. A line carries the
anomaly episode that caused it (directly, through a causal chain, or an anomalous session) or none; spontaneous
errors are not anomalies.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat
from synthlog.io.timestamps import FIRST_YEAR, LAST_YEAR, time_pieces
from synthlog.values.model import ValueModel

# Magnitudes a spec may hold: beyond them a run cannot fit any memory or any calendar (spec check refuses them).
MAX_RATE = 1e6  # requests, sessions or lines per second of one process
MAX_EPISODES_PER_HOUR = 1e6
MAX_SECONDS = 100 * 365.25 * 86400  # a duration, a gap, a lag: at most 100 years
MAX_SIGMA = 20.0  # a lognormal's sigma: exp(20) is a factor of 5e8 already
INT64_SPAN = 2.0**63
MAX_WEIGHT = 1e15  # relative weights: their sum stays finite

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=MAX_RATE, allow_inf_nan=False, description="per second")]
Identifier = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.$:\-]+$")]
Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
END = "END"  # the target of a session transition that ends the session

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|ms|s|min|m|h|d)?\s*$")
SLOT = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*|\*)>")


def parse_duration(value: Any) -> float:
    """Seconds from a number (seconds) or a string with a unit: ``"250ms"``, ``"2s"``, ``"5m"``, ``"1h"``."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string such as '250ms'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"cannot read {value!r} as a duration (examples: 250ms, 2s, 5m, 1h)")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError("a duration must be a number of seconds or a string such as '250ms'")
    if not seconds >= 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    if seconds > MAX_SECONDS:
        raise ValueError(f"a duration is at most 100 years ({MAX_SECONDS:.4g} s), not {value!r}")
    return seconds


def _check_weighted(values: list | None, weights: list[float] | None, what: str) -> None:
    if not values:
        raise ValueError(f"{what} needs a non-empty list of values")
    if weights is not None and (len(weights) != len(values) or sum(weights) <= 0):
        raise ValueError("weights must match values one to one and not all be zero")


Duration = Annotated[float, Field(ge=0.0, le=MAX_SECONDS, allow_inf_nan=False,
                                  json_schema_extra={"description": "seconds, or e.g. '250ms'"})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dist(_Model):
    """A distribution of durations in seconds (see the module docstring for the short forms)."""

    dist: Literal["fixed", "uniform", "exponential", "lognormal", "normal", "empirical"]
    value: Duration | None = None
    min: Duration | None = None
    max: Duration | None = None
    mean: Duration | None = None
    median: Duration | None = None
    sigma: Annotated[float, Field(ge=0.0, le=MAX_SIGMA, allow_inf_nan=False)] | None = None
    std: Duration | None = None
    values: list[Duration] | None = None
    weights: list[Weight] | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return {"dist": "fixed", "value": data}
        if isinstance(data, list | tuple):
            if len(data) != 2:
                raise ValueError("a [min, max] pair needs exactly two durations")
            return {"dist": "uniform", "min": data[0], "max": data[1]}
        return data

    @field_validator("value", "min", "max", "mean", "median", "std", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("values", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return None if value is None else [parse_duration(v) for v in value]

    @model_validator(mode="after")
    def _parameters(self) -> Dist:
        needed = {"fixed": ("value",), "uniform": ("min", "max"), "exponential": ("mean",),
                  "lognormal": ("median", "sigma"), "normal": ("mean", "std"), "empirical": ("values",)}[self.dist]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}s) is above max ({self.max:g}s)")
        if self.dist == "empirical":
            _check_weighted(self.values, self.weights, "an empirical distribution")
        return self

    @property
    def lower_bound(self) -> float:
        """The smallest value this distribution can produce (used to find zero-lag causal cycles)."""
        if self.dist == "fixed":
            return float(self.value)
        if self.dist == "empirical":
            return float(min(self.values))
        return float(self.min or 0.0)

    @property
    def upper_bound(self) -> float:
        """The largest value this distribution can produce (``inf`` when unbounded)."""
        if self.dist == "fixed":
            return float(self.value)
        if self.dist == "empirical":
            return float(max(self.values))
        return float(self.max) if self.max is not None else math.inf


def fixed(seconds: float) -> Dist:
    return Dist(dist="fixed", value=seconds)


class Param(_Model):
    """How the simulator fills one named slot of a template.

    ``int``/``float``: uniform in [min, max] (``decimals`` for floats); ``choice``: one of ``values`` (optional
    ``weights``); ``ip``: a dotted IPv4 address in 10.0.0.0/8; ``hex``: ``length`` hex digits; ``session``: the
    request or session id as written in the context; ``session_number``: that id without its prefix; ``shape``: a
    shape-preserving value model (``shape``, see :mod:`synthlog.values.model`).
    """

    kind: Literal["int", "float", "choice", "ip", "hex", "session", "session_number", "shape"]
    min: Annotated[float, Field(allow_inf_nan=False)] = 0
    max: Annotated[float, Field(allow_inf_nan=False)] = 99999
    decimals: Annotated[int, Field(ge=0, le=9)] = 2
    values: list[str] | None = None
    weights: list[Weight] | None = None
    length: Annotated[int, Field(ge=1, le=16)] = 8
    shape: ValueModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"kind": "choice", "values": data}
        if isinstance(data, str):
            return {"kind": data}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Param:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g})")
        if self.kind == "int" and not -INT64_SPAN <= self.min <= self.max < INT64_SPAN:
            raise ValueError(f"an int slot's min and max are 64-bit integers (within +-{INT64_SPAN:.4g}), "
                             f"not {self.min:g}..{self.max:g}")
        biggest = 9e18 / 10**self.decimals  # float slots are written as fixed-point 64-bit integers
        if self.kind == "float" and max(abs(self.min), abs(self.max)) > biggest:
            raise ValueError(f"a float slot with {self.decimals} decimals lies within +-{biggest:.3g}, "
                             f"not {self.min:g}..{self.max:g}")
        if self.kind == "choice":
            _check_weighted(self.values, self.weights, "a choice slot")
        if (self.kind == "shape") != (self.shape is not None):
            raise ValueError("a shape slot needs a shape model, and only a shape slot has one")
        return self


ANONYMOUS_SLOT = Param(kind="int")


class Message(_Model):
    """One entry of a service's message catalogue: a template whose slots the simulator fills.

    ``variants`` are other wordings of the same event (written by hand or by ``--paraphrase``) with the same
    slots in the same order; each line picks the template or one of them with equal chance. In the Loghub files
    variant k is the event ``<id>~k``.

    With a ``layout`` in the spec: ``levels`` (optional) are the level words this message is written with, as the
    source writes them (``WARNING``, ``SEVERE`` ...), with their weights, drawn per line (default: ``level``);
    ``fields`` gives, per ``message`` header of the layout, the values this message is written with and their
    weights (a component, a source line number, a line label).
    """

    id: Identifier
    template: Annotated[str, Field(min_length=1)]
    level: Level = "INFO"
    error_type: Identifier | None = None
    params: dict[str, Param] = Field(default_factory=dict)
    variants: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    levels: dict[Annotated[str, Field(min_length=1)], NonNegative] = Field(default_factory=dict)
    fields: dict[str, dict[str, NonNegative]] = Field(default_factory=dict)

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.upper()
            return "WARN" if value == "WARNING" else value
        return value

    @field_validator("template")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("a template must be one line")
        return value

    @field_validator("variants")
    @classmethod
    def _same_slots(cls, value: list[str], info) -> list[str]:
        template = info.data.get("template")
        for k, variant in enumerate(value, start=1):
            if "\n" in variant or "\r" in variant:
                raise ValueError(f"variant {k} must be one line")
            if template is not None and SLOT.findall(variant) != SLOT.findall(template):
                raise ValueError(f"variant {k} must have the template's slots in the same order "
                                 f"({' '.join(f'<{s}>' for s in SLOT.findall(template)) or 'none'})")
        return value

    @model_validator(mode="after")
    def _slots_match_params(self) -> Message:
        named = {name for name in SLOT.findall(self.template) if name != "*"}
        unknown = sorted(named - set(self.params))
        if unknown:
            raise ValueError(f"slot <{unknown[0]}> of the template has no entry in params")
        unused = sorted(set(self.params) - named)
        if unused:
            raise ValueError(f"param {unused[0]!r} is not a slot <{unused[0]}> of the template")
        return self

    @property
    def slots(self) -> list[str]:
        """The template's slot names in order (``*`` for anonymous slots)."""
        return SLOT.findall(self.template)

    @property
    def event_template(self) -> str:
        """The template in Loghub form: every slot written ``<*>``."""
        return SLOT.sub("<*>", self.template)

    @property
    def wordings(self) -> list[tuple[str, str]]:
        """(event id, template) of the template and of each variant (``<id>~k``)."""
        return [(self.id, self.template)] + [(f"{self.id}~{k}", v) for k, v in enumerate(self.variants, start=1)]

    def param(self, slot: str) -> Param:
        return ANONYMOUS_SLOT if slot == "*" else self.params[slot]


class Call(_Model):
    """A downstream call: taken with ``probability``, arriving at ``to`` after ``latency``."""

    to: Identifier
    probability: Probability = 1.0
    latency: Dist = fixed(0.005)


class Service(_Model):
    """A service: its own traffic, what it logs per request, whom it calls, and its message catalogue."""

    name: Identifier
    rate: Rate = 0.0
    error_rate: Probability = 0.0
    flow: list[Identifier] = Field(default_factory=list)
    step: Dist = fixed(0.001)
    calls: list[Call] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)


class DailyCycle(_Model):
    amplitude: Probability = 0.0
    peak_hour: Annotated[float, Field(ge=0.0, lt=24.0)] = 14.0


class Bursts(_Model):
    rate_per_hour: Annotated[NonNegative, Field(le=MAX_EPISODES_PER_HOUR)] = 0.0
    multiplier: Annotated[float, Field(ge=1.0, le=1000.0, allow_inf_nan=False)] = 3.0
    duration: Dist = fixed(60.0)


class Traffic(_Model):
    daily_cycle: DailyCycle | None = None
    bursts: Bursts | None = None


class Trigger(_Model):
    """Which lines fire a causal rule: a message id, or an error type (optionally at one service)."""

    service: Identifier | None = None
    message: Identifier | None = None
    error_type: Identifier | None = None

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if self.message is None and self.error_type is None:
            raise ValueError("name a message or an error_type")
        return self


class Effect(_Model):
    """What a causal rule makes ``service`` log: a message id, or a message of an error type."""

    service: Identifier
    message: Identifier | None = None
    error_type: Identifier | None = None

    @model_validator(mode="after")
    def _one(self) -> Effect:
        if (self.message is None) == (self.error_type is None):
            raise ValueError("name exactly one of message or error_type")
        return self


class CausalRule(_Model):
    """When a line matches ``when``, ``then`` follows in the same request after ``lag`` with ``probability``.

    An ``observed`` rule only records a pair that the session models already produce (the profiler writes the pairs
    it mined from real logs this way): the simulator does not fire it, ``validate`` scores it on normal sessions.
    Its ``lag`` may be null (the real logs had no timestamps): then only the order is checked.
    """

    name: str | None = None
    when: Trigger
    then: Effect
    probability: Probability = 1.0
    lag: Dist | None = fixed(0.1)
    observed: bool = False

    @model_validator(mode="after")
    def _lag_to_fire(self) -> CausalRule:
        if self.lag is None and not self.observed:
            raise ValueError("a rule the simulator fires needs a lag (only an observed rule may leave it null)")
        return self


class Propagation(_Model):
    """How an episode spreads along the call graph: to callers (upstream), callees (downstream) or both."""

    direction: Literal["upstream", "downstream", "both"] = "upstream"
    probability: Probability = 0.5
    lag: Dist = fixed(5.0)
    max_hops: Annotated[int, Field(ge=0, le=32)] = 3


class Emit(_Model):
    """A message the affected service logs every ``every`` seconds while the episode lasts."""

    message: Identifier
    every: Duration

    @field_validator("every", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)

    @field_validator("every")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("every must be above zero")
        return value


class Recovery(_Model):
    """After an episode, failures fade out linearly over ``time``; then ``message`` is logged (if any)."""

    time: Dist = fixed(0.0)
    message: Identifier | None = None


class AnomalyScenario(_Model):
    """A kind of anomaly episode: how often, where, how bad, how long, how it spreads and recovers."""

    name: Identifier
    type: Identifier
    rate_per_hour: Annotated[NonNegative, Field(le=MAX_EPISODES_PER_HOUR)]
    origin: list[Identifier] = Field(default_factory=list)
    severity: Probability = 0.5
    duration: Dist = fixed(60.0)
    error_mix: dict[str, Probability] | None = None
    propagation: Propagation | None = None
    emit: list[Emit] = Field(default_factory=list)
    recovery: Recovery | None = None


class HeaderField(_Model):
    """One ``<Header>`` of the layout's format string and how a line fills it.

    ``kind``: ``content`` (the message), ``level`` (the line's level word), ``time`` (the line's time written in
    ``time_format``, see :mod:`synthlog.io.timestamps`, shifted by ``offset`` seconds: a second clock, such as a
    local time next to epoch seconds), ``copy`` (the value of header ``same_as`` on the same line), ``message``
    (a value the message fixes, from its ``fields``; ``default`` when the message has none) or ``value`` (drawn
    for every line from ``template``, whose slots are filled like a message's from ``params``; with
    ``per_session`` drawn once per request or session and kept on all its lines; empty on the lines of the
    messages ``empty_for`` names: an optional header such as Linux's pid, which kernel lines lack).

    ``carry`` (a ``value`` header drawn per line only): ``carry[a][b]`` is the probability that a line of message
    ``b`` following a line of message ``a`` in its request or session keeps that line's value instead of drawing
    one (two lines of one process in a time window share its pid); chains of such lines share one value.
    """

    name: Annotated[str, Field(min_length=1)]
    kind: Literal["content", "level", "time", "copy", "message", "value"]
    time_format: str | None = None
    offset: float = 0.0
    same_as: str | None = None
    default: str = ""
    template: str | None = None
    params: dict[str, Param] = Field(default_factory=dict)
    per_session: bool = False
    empty_for: list[str] = Field(default_factory=list)
    carry: dict[str, dict[str, Probability]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> HeaderField:
        if self.carry and (self.kind != "value" or self.per_session):
            raise ValueError("only a value header drawn per line (not per_session) may carry")
        needs = {"time": ("time_format",), "copy": ("same_as",), "value": ("template",)}.get(self.kind, ())
        for name in needs:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind} header needs {name}")
        if self.time_format is not None and not any(p.startswith("%") and len(p) > 1
                                                    for p in time_pieces(self.time_format)):
            raise ValueError(f"time_format {self.time_format!r} has no directive (%Y, %m, %d, %H, %M, %S, %3f, "
                             "%s ...)")
        if self.template is not None:
            named = {n for n in SLOT.findall(self.template) if n != "*"}
            if named != set(self.params):
                raise ValueError("the template's <slots> and params must name the same slots")
        return self


class Layout(_Model):
    """How raw lines are laid out: a Loghub format string (``<Date> <Time> <Level> <Component>: <Content>``) and
    one entry per header of it, in order. ``source`` says where it came from (``given``, a built-in format name,
    ``inferred``); ``resolution`` is the clock step in seconds (1, 0.001, 1e-6); ``levels`` the level words the
    source uses with their shares."""

    format: Annotated[str, Field(min_length=1)]
    source: str = "given"
    fields: list[HeaderField]
    resolution: Annotated[float, Field(gt=0.0)] = 1e-6
    levels: dict[str, NonNegative] = Field(default_factory=dict)

    def field(self, name: str) -> HeaderField | None:
        return next((f for f in self.fields if f.name == name), None)


class Markov(_Model):
    """A session's event sequence: first message, transitions between messages (``END`` stops), gaps.

    ``gap`` is the time between consecutive events; ``gaps[a][b]`` (optional) is the time from an ``a`` to the ``b``
    that follows it, for transitions whose timing differs from the rest (a block written, then deleted hours
    later). A transition without an entry in ``gaps`` uses ``gap``.
    """

    start: dict[str, Probability]
    transitions: dict[str, dict[str, Probability]] = Field(default_factory=dict)
    gap: Dist = fixed(0.1)
    gaps: dict[str, dict[str, Dist]] = Field(default_factory=dict)
    max_events: Annotated[int, Field(ge=1, le=100_000)] = 200


class SessionId(_Model):
    """How session ids look: ``prefix`` + a number (``int64``: signed 64-bit like HDFS blocks; ``uint``) or
    ``hex`` (``length`` lowercase hex digits, 1 to 16, like ``req-5c79ed2e``)."""

    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:\-]*$")] = ""
    kind: Literal["int64", "uint", "hex"] = "uint"
    length: Annotated[int, Field(ge=1, le=16)] = 16


class SessionProcess(_Model):
    """Entity sessions (e.g. HDFS blocks) started at ``rate`` per second, each one normal or anomalous."""

    name: Identifier
    rate: Rate
    id: SessionId = SessionId()
    context_key: Identifier = "session_id"
    normal: Markov
    anomalous: Markov | None = None
    anomaly_probability: Probability = 0.0
    anomaly_type: Identifier | None = None


class Spec(_Model):
    """A whole system: services, traffic, errors, causal rules, anomaly scenarios and sessions."""

    name: Identifier
    description: str = ""
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    services: Annotated[list[Service], Field(min_length=1)]
    traffic: Traffic = Traffic()
    error_mix: dict[str, Probability] = Field(default_factory=dict)
    causal: list[CausalRule] = Field(default_factory=list)
    anomalies: list[AnomalyScenario] = Field(default_factory=list)
    sessions: list[SessionProcess] = Field(default_factory=list)
    causal_depth: Annotated[int, Field(ge=1, le=64)] = 8
    request_id_prefix: str = "req-"
    label_column: Identifier = "SessionId"
    layout: Layout | None = None

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if not FIRST_YEAR <= value.year < LAST_YEAR:
            raise ValueError(f"start lies in the years {FIRST_YEAR} to {LAST_YEAR - 1} (room for any run), "
                             f"not {value.year}")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Spec:
        problems = spec_problems(self)
        if problems:
            raise ValidationError.from_exception_data(
                "Spec", [InitErrorDetails(type=PydanticCustomError("spec", message), loc=loc, input=None)
                         for loc, message in problems])
        return self

    # Lookups the simulator and the profiler share.
    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def messages(self) -> list[tuple[Service, Message]]:
        """Every message of the catalogue with its service, in spec order."""
        return [(s, m) for s in self.services for m in s.messages]

    def error_types(self) -> list[str]:
        """The error types the catalogue knows, in first-seen order."""
        return list(dict.fromkeys(m.error_type for _, m in self.messages() if m.error_type is not None))


Loc = tuple[str | int, ...]


def spec_problems(spec: Spec) -> list[tuple[Loc, str]]:
    """Every cross-reference problem of a structurally valid spec, as (field path, message) pairs."""
    problems: list[tuple[Loc, str]] = []
    services = {s.name: s for s in spec.services}
    owner: dict[str, str] = {}
    error_types = set()

    named: set[str] = set()
    for i, service in enumerate(spec.services):
        if service.name in named:
            problems.append((("services", i, "name"), f"service {service.name!r} is defined twice"))
        named.add(service.name)
        for j, message in enumerate(service.messages):
            if message.id in owner:
                problems.append((("services", i, "messages", j, "id"),
                                 f"message id {message.id!r} is already used by service {owner[message.id]!r}"))
            else:
                owner[message.id] = service.name
            if message.error_type:
                error_types.add(message.error_type)

    for i, service in enumerate(spec.services):
        own = {m.id for m in service.messages}
        for j, message_id in enumerate(service.flow):
            if message_id not in own:
                problems.append((("services", i, "flow", j), f"unknown message {message_id!r} of service "
                                                             f"{service.name!r}"))
        if service.rate > 0 and not service.flow:
            problems.append((("services", i, "flow"), "a service with traffic needs a flow of messages to log"))
        if service.error_rate > 0 and not any(m.error_type for m in service.messages):
            problems.append((("services", i, "error_rate"), f"service {service.name!r} has no error message "
                                                            "(no message with an error_type) to fail with"))
        for j, call in enumerate(service.calls):
            if call.to not in services:
                problems.append((("services", i, "calls", j, "to"), f"unknown service {call.to!r}"))
            elif not services[call.to].flow:
                problems.append((("services", i, "calls", j, "to"), f"service {call.to!r} has no flow to log "
                                                                    "when called"))
    problems += _call_cycles(spec)

    problems += _mix_problems(("error_mix",), spec.error_mix, error_types)
    for i, rule in enumerate(spec.causal):
        for part, ref in (("when", rule.when), ("then", rule.then)):
            if ref.service is not None and ref.service not in services:
                problems.append((("causal", i, part, "service"), f"unknown service {ref.service!r}"))
                continue
            if ref.message is not None:
                if ref.message not in owner:
                    problems.append((("causal", i, part, "message"), f"unknown message {ref.message!r}"))
                elif ref.service is not None and owner[ref.message] != ref.service:
                    problems.append((("causal", i, part, "message"), f"message {ref.message!r} belongs to service "
                                                                     f"{owner[ref.message]!r}, not {ref.service!r}"))
            if ref.error_type is not None:
                scope = [services[ref.service]] if ref.service is not None else spec.services
                if not any(m.error_type == ref.error_type for s in scope for m in s.messages):
                    where = f" at service {ref.service!r}" if ref.service else ""
                    problems.append((("causal", i, part, "error_type"),
                                     f"no message has error type {ref.error_type!r}{where}"))
    if not problems:
        problems += _zero_lag_cycles(spec)

    for i, scenario in enumerate(spec.anomalies):
        for j, origin in enumerate(scenario.origin):
            if origin not in services:
                problems.append((("anomalies", i, "origin", j), f"unknown service {origin!r}"))
        if scenario.error_mix is not None:
            problems += _mix_problems(("anomalies", i, "error_mix"), scenario.error_mix, error_types)
        for j, emit in enumerate(scenario.emit):
            if emit.message not in owner:
                problems.append((("anomalies", i, "emit", j, "message"), f"unknown message {emit.message!r}"))
        if scenario.recovery and scenario.recovery.message and scenario.recovery.message not in owner:
            problems.append((("anomalies", i, "recovery", "message"),
                             f"unknown message {scenario.recovery.message!r}"))
        if scenario.severity > 0 and not error_types:
            problems.append((("anomalies", i, "severity"), "no message has an error_type to fail with"))

    for i, process in enumerate(spec.sessions):
        for part in ("normal", "anomalous"):
            model = getattr(process, part)
            if model is not None:
                problems += _markov_problems(("sessions", i, part), model, owner)
        if process.anomaly_probability > 0 and process.anomalous is None:
            problems.append((("sessions", i, "anomalous"), "anomaly_probability is above 0 but no anomalous model "
                                                           "is given"))
    problems += _layout_problems(spec)
    if spec.request_id_prefix and not re.fullmatch(r"[A-Za-z0-9_.:\-]*", spec.request_id_prefix):
        problems.append((("request_id_prefix",), "use letters, digits, '_', '.', ':' or '-' only"))
    return problems


def _layout_problems(spec: Spec) -> list[tuple[Loc, str]]:
    """The layout's fields must be its format's headers, in order, with one content header; copies name another
    header; a message's ``fields`` name ``message`` headers."""
    layout = spec.layout
    if layout is None:
        return []
    try:
        headers = LogFormat.parse(layout.format).headers
    except InputError as exc:
        return [(("layout", "format"), exc.reason)]
    names = [f.name for f in layout.fields]
    if list(headers) != names:
        return [(("layout", "fields"), f"the fields must be the format's headers in order ({', '.join(headers)})")]
    problems: list[tuple[Loc, str]] = []
    if [f.kind for f in layout.fields].count("content") != 1:
        problems.append((("layout", "fields"), "exactly one field must be of kind content"))
    for i, f in enumerate(layout.fields):
        if f.kind == "copy" and (f.same_as not in names or f.same_as == f.name):
            problems.append((("layout", "fields", i, "same_as"), f"{f.same_as!r} is not another header"))
        elif f.kind == "copy" and layout.field(f.same_as).kind == "copy":
            problems.append((("layout", "fields", i, "same_as"), "a copy must name a header that is not a copy"))
    fixed = {f.name for f in layout.fields if f.kind == "message"}
    for i, service in enumerate(spec.services):
        for j, message in enumerate(service.messages):
            for name in message.fields:
                if name not in fixed:
                    problems.append((("services", i, "messages", j, "fields", name),
                                     f"{name!r} is not a header of kind message in the layout"))
    return problems


def _mix_problems(loc: Loc, mix: dict[str, float], error_types: set[str]) -> list[tuple[Loc, str]]:
    problems = [(loc + (name,), f"no message has error type {name!r}") for name in mix if name not in error_types]
    total = sum(mix.values())
    if total > 1 + 1e-6:
        problems.append((loc, f"shares add up to {total:.4g}, above 1"))
    return problems


def _markov_problems(loc: Loc, model: Markov, owner: dict[str, str]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    if not model.start:
        problems.append((loc + ("start",), "name at least one first message"))
    for name in model.start:
        if name not in owner:
            problems.append((loc + ("start", name), f"unknown message {name!r}"))
    if sum(model.start.values()) > 1 + 1e-6:
        problems.append((loc + ("start",), f"probabilities add up to {sum(model.start.values()):.4g}, above 1"))
    elif model.start and not sum(model.start.values()) > 0:  # they are normalised: 0/0 would start nothing
        problems.append((loc + ("start",), "probabilities add up to 0; give a first message a positive one"))
    for source, targets in model.transitions.items():
        if source not in owner:
            problems.append((loc + ("transitions", source), f"unknown message {source!r}"))
        for target in targets:
            if target != END and target not in owner:
                problems.append((loc + ("transitions", source, target), f"unknown message {target!r}"))
        if sum(targets.values()) > 1 + 1e-6:
            problems.append((loc + ("transitions", source),
                             f"probabilities add up to {sum(targets.values()):.4g}, above 1"))
    for source, targets in model.gaps.items():
        for target in targets:
            if target == END:
                problems.append((loc + ("gaps", source, target), "no event follows END, so it has no gap"))
            elif target not in model.transitions.get(source, {}):
                problems.append((loc + ("gaps", source, target),
                                 f"no transition {source!r} -> {target!r} in transitions to give a gap"))
    return problems


def _call_cycles(spec: Spec) -> list[tuple[Loc, str]]:
    """Calls must form a DAG: a request that calls itself back would never end."""
    index = {s.name: i for i, s in enumerate(spec.services)}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    problems: list[tuple[Loc, str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        service = spec.services[index[name]]
        for j, call in enumerate(service.calls):
            if call.to not in index:
                continue
            if state.get(call.to) == 1:
                cycle = " -> ".join(path[path.index(call.to):] + [name, call.to]) if call.to in path else name
                problems.append((("services", index[name], "calls", j, "to"), f"call cycle {cycle}"))
            elif call.to not in state:
                visit(call.to, path + [name])
        state[name] = 2

    for service in spec.services:
        if service.name not in state:
            visit(service.name, [])
    return problems


def _zero_lag_cycles(spec: Spec) -> list[tuple[Loc, str]]:
    """Causal rules whose effects can trigger themselves again with no delay would loop forever at one instant."""
    owner = {m.id: s.name for s, m in spec.messages()}
    by_id = {m.id: m for _, m in spec.messages()}

    def matches(trigger: Trigger, message_id: str) -> bool:
        if trigger.service is not None and owner[message_id] != trigger.service:
            return False
        if trigger.message is not None:
            return trigger.message == message_id
        return by_id[message_id].error_type == trigger.error_type

    def produces(effect: Effect) -> list[str]:
        if effect.message is not None:
            return [effect.message]
        return [m.id for m in spec.service(effect.service).messages if m.error_type == effect.error_type]

    zero = [i for i, rule in enumerate(spec.causal) if not rule.observed and rule.lag.lower_bound == 0]
    # edge i -> k when rule i's effect can fire rule k; look for a cycle among zero-lag rules only
    edges = {i: [k for k in zero if any(matches(spec.causal[k].when, m) for m in produces(spec.causal[i].then))]
             for i in zero}
    state: dict[int, int] = {}
    for root in zero:
        if root in state:
            continue
        stack = [(root, iter(edges[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return [(("causal", child, "lag"), f"causal cycle with zero lag through rule {child} "
                                                   f"({spec.causal[child].name or 'unnamed'}); give it a lag "
                                                   "with min above 0")]
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(edges[child])))
    return []
