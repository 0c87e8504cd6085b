"""The source's layout, levels and time through profile -> generate stats -> validate, for logs of several layouts:
time formats inferred, read and written back; format strings inferred; generated raw lines parsed back with the
reference's layout; bad layouts refused with the file and line."""

import datetime
import json
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from synthlog.errors import InputError
from synthlog.evaluate.fidelity import reference_from_dataset
from synthlog.evaluate.report import validate
from synthlog.io.formatinfer import infer_format, infer_format_string
from synthlog.io.logformat import get_format
from synthlog.io.text import iter_lines
from synthlog.io.timestamps import TimeRenderer, fraction_digits, infer_time_format, read_time
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import dump_spec, load_spec

LAYOUTS = Path(__file__).parent / "data" / "layouts"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

TIMES = [  # (header name, values, expected format)
    ("Date", ["081109", "081110"], "%y%m%d"),
    ("Time", ["203615", "000001"], "%H%M%S"),
    ("Date", ["2015-07-29"], "%Y-%m-%d"),
    ("Time", ["17:41:44,747", "09:01:02,003"], "%H:%M:%S,%3f"),
    ("Date", ["2005.06.03"], "%Y.%m.%d"),
    ("Time", ["2005-06-03-15.42.50.363779"], "%Y-%m-%d-%H.%M.%S.%6f"),
    ("Timestamp", ["1117838570"], "%s"),
    (None, ["2024-03-05T10:15:32.123Z"], "%Y-%m-%dT%H:%M:%S.%3fZ"),
    (None, ["Mar  5 10:15:32", "Mar 15 10:15:32"], "%b %e %H:%M:%S"),
    ("Day", ["5", "15"], "%e"),
    ("Month", ["Mar", "Dec"], "%b"),
    ("Time", ["Sun Dec 04 23:59:58 2005", "Mon Dec 05 00:00:01 2005"], "%a %b %d %H:%M:%S %Y"),  # C's ctime (Apache)
    (None, ["Dec 04 10:15:32", "Dec 15 10:15:32"], "%b %d %H:%M:%S"),  # a zero-padded day: no syslog space padding
    ("Time", ["20171223-22:15:29:606"], "%Y%m%d-%H:%M:%S:%3f"),  # milliseconds after a colon
]


@pytest.mark.parametrize(("name", "values", "expected"), TIMES)
def test_time_formats_are_inferred_read_and_written_back(name, values, expected):
    assert infer_time_format(values, name) == expected
    render = TimeRenderer(expected)
    for value in values:
        seconds = read_time((value,), (expected,))
        micros = round(seconds * 1_000_000)
        written = value.rjust(2) if expected == "%e" else value  # a day alone is padded; the layout's spaces absorb it
        assert render.one(micros) == written
        assert render.many([micros]).to_list() == [written]


def test_numbers_that_are_no_clock_stay_numbers():
    assert infer_time_format(["123456", "654321"], "Pid") is None  # digits alone count only under a time name
    assert infer_time_format(["INFO"], "Level") is None
    assert infer_time_format(["203615", "991340"], "Date") is None  # month 36 is no date


def test_format_strings_are_inferred_from_the_lines():
    lines = [line for _, line in iter_lines(LAYOUTS / "syslog_like.log")][:50]
    assert infer_format_string(lines) == r"<Month> <Day> <Time> <Field1> <Component>\[<Pid>\]: <Level> <Content>"
    assert infer_format_string(["2024-03-05T10:15:32.123Z web-1 [INFO] api: GET /x 200"]) == \
        r"<Timestamp> <Field1> \[<Level>\] <Component>: <Content>"
    assert infer_format(LAYOUTS / "bgl_like.log")[1] == "bgl"
    apache = [line for _, line in iter_lines(LAYOUTS / "apache_like.log")]
    assert infer_format_string(apache) == r"\[<Time>\] \[<Level>\] <Content>"
    assert infer_format_string(["[Sun Dec 04 04:47:44 2005 x] [notice] a", "[Sun Dec 04 04:47:45 2005] [error] b"]) \
        != r"\[<Time>\] \[<Level>\] <Content>"  # the bracket closes on another token: no time header there
    assert infer_format_string(["no time here", "nor a level word"]) is None
    linux = [line for _, line in iter_lines(LAYOUTS / "linux_like.log")]  # kernel lines have no pid
    inferred = infer_format_string(linux[:200])
    assert inferred == r"<Month> <Day> <Time> <Field1> <Component>(\[<Pid>\])?: <Content>"
    events = [get_format(inferred).event(line) for line in linux]
    assert all(events) and {"kernel", "syslogd 1.4.1", "sshd(pam_unix)"} <= {e.component for e in events}
    assert {e.fields["Pid"] == "" for e in events if e.component == "kernel"} == {True}
    health = ["20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
              "20171223-22:15:29:615|Step_LSC|30002312|flush sensor data | 12"]  # the content may hold the delimiter
    assert infer_format_string(health) == r"<Time>\|<Field1>\|<Field2>\|<Content>"
    assert infer_format_string(["2024-03-05T10:15:32;WARN;disk;almost full"]) == "<Time>;<Level>;<Field2>;<Content>"
    assert infer_format_string(["a|b|c", "d|e|f"]) is None  # no time in the first field


LINUX = r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>"  # Loghub's: the pid is optional
CASES = {  # name: (log, options of load_logs)
    "bgl": (LAYOUTS / "bgl_like.log", {"sessions": "window:300", "line_labels": "Label:-"}),
    "syslog": (LAYOUTS / "syslog_like.log", {"sessions": "entity:req-[0-9a-f]{8}"}),
    "apache": (LAYOUTS / "apache_like.log", {"sessions": "window:60"}),
    "linux": (LAYOUTS / "linux_like.log", {"sessions": "window:60", "log_format": LINUX}),
    "zookeeper": (SHARED / "zookeeper" / "loghub_2k" / "Zookeeper_2k.log", {"sessions": "window:60"}),
    "hdfs": (SHARED / "hdfs" / "loghub_2k" / "HDFS_2k.log", {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_raw_lines_keep_the_layout_levels_and_time_order(case, tmp_path):
    log, options = CASES[case]
    if not log.is_file():
        pytest.skip("shared data not present")
    real = load_logs(log, **options)
    spec, _ = profile_dataset(real, name=case, options=ProfileOptions(seed=1))
    assert spec.layout is not None and spec.layout.format == real.metadata["layout"].format.text
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(dump_spec(spec))
    assert load_spec(spec_file) == spec  # the layout survives the YAML round trip
    lines = sum(1 for _ in iter_lines(log))
    StatsSynthesizer(spec).write(tmp_path / "gen", n_lines=lines, seed=1)
    result = validate(reference_from_dataset(real), tmp_path / "gen")
    assert result["format_roundtrip"] == 1.0
    assert result["layout"]["content_roundtrip"] == 1.0  # the parsed content is the generated message
    assert result["time_order"] == 1.0
    assert result["level_similarity"] >= 0.95
    assert set(result["levels"]["synthetic"]) <= set(result["levels"]["reference"])


def test_an_optional_header_stays_with_the_messages_that_show_it(tmp_path):
    real = load_logs(LAYOUTS / "linux_like.log", log_format=LINUX, sessions="window:60")
    spec, _ = profile_dataset(real, name="linux", options=ProfileOptions(seed=4))
    StatsSynthesizer(spec).write(tmp_path / "gen", n_lines=600, seed=4)
    fmt = get_format(LINUX)
    shown = {}  # component -> whether its lines show a pid, in the reference and in the generated log
    for path, key in ((LAYOUTS / "linux_like.log", "real"), (tmp_path / "gen" / "linux.log", "generated")):
        for _, line in iter_lines(path):
            event = fmt.event(line)
            shown.setdefault((key, event.component), set()).add(event.fields["PID"] != "")
    assert shown[("real", "kernel")] == {False} and shown[("real", "ntpd")] == {True}
    generated = {c: v for (k, c), v in shown.items() if k == "generated"}
    assert {"kernel", "ntpd"} <= set(generated)
    assert all(v == shown[("real", c)] for c, v in generated.items())


def test_bgl_like_headers_agree_and_labels_follow_the_templates(tmp_path):
    log, options = CASES["bgl"]
    real = load_logs(log, **options)
    spec, _ = profile_dataset(real, name="bgl", options=ProfileOptions(seed=2))
    kinds = {f.name: f.kind for f in spec.layout.fields}
    assert kinds["NodeRepeat"] == "copy" and kinds["Label"] == "message" and kinds["Timestamp"] == "time"
    assert kinds["Component"] == "message" and kinds["Type"] == "message"  # Component is kept outside fields
    assert spec.layout.field("Timestamp").offset == 7 * 3600  # epoch seconds in UTC, the Time header 7 h behind
    StatsSynthesizer(spec).write(tmp_path / "gen", n_lines=600, seed=2)
    fmt = get_format("bgl")
    labels, levels, components = set(), set(), set()
    for _, line in iter_lines(tmp_path / "gen" / "bgl.log"):
        event = fmt.event(line)
        fields = event.fields
        assert fields["NodeRepeat"] == fields["Node"]
        local = read_time((fields["Time"],), ("%Y-%m-%d-%H.%M.%S.%6f",))
        assert int(fields["Timestamp"]) == int(local) + 7 * 3600
        assert fields["Date"] == fields["Time"][:10].replace("-", ".")
        labels.add((fields["Label"], event.content.split()[0]))
        components.add((event.component, event.content.split()[0]))
        levels.add(event.level)
    assert ("KERNDTLB", "data") in labels and ("-", "instruction") in labels
    assert ("APP", "ciod:") in components and ("KERNEL", "instruction") in components
    assert {"FATAL", "INFO"} <= levels


def test_same_seed_same_raw_log_and_hex_request_ids_keep_their_shape(tmp_path):
    real = load_logs(LAYOUTS / "syslog_like.log", sessions="entity:req-[0-9a-f]{8}")
    spec, _ = profile_dataset(real, name="s", options=ProfileOptions(seed=3))
    assert (spec.sessions[0].id.prefix, spec.sessions[0].id.kind, spec.sessions[0].id.length) == ("req-", "hex", 8)
    for run in ("a", "b"):
        StatsSynthesizer(spec).write(tmp_path / run, n_lines=300, seed=5, formats=("raw",))
    text = (tmp_path / "a" / "s.log").read_text()
    assert text == (tmp_path / "b" / "s.log").read_text()
    ids = re.findall(r"request (\S+) ", text)
    assert len(ids) == 300 and all(re.fullmatch(r"req-[0-9a-f]{8}", i) for i in ids)
    assert len(set(ids)) > 50
    # the host and the process id stay the same through a request, as in the real log; they vary across requests
    assert spec.layout.field("Field1").per_session and spec.layout.field("Pid").per_session
    heads = {}
    for line in text.splitlines():
        host_pid, request = re.search(r"\d\d:\d\d:\d\d (\S+ \S+) .* (req-\S+) ", line).groups()
        heads.setdefault(request, set()).add(host_pid)
    assert all(len(seen) == 1 for seen in heads.values())
    assert len(set().union(*heads.values())) > 10


def test_a_layout_that_does_not_fit_names_the_file_and_line(tmp_path):
    with pytest.raises(InputError, match=r"bgl_like\.log:1: line does not fit the layout"):
        load_logs(LAYOUTS / "bgl_like.log", log_format="zookeeper", sessions="window:60")
    out = tmp_path / "spec.yaml"
    from synthlog.stats.profile import profile_to_file

    with pytest.raises(InputError):
        profile_to_file(LAYOUTS / "bgl_like.log", out, log_format="hdfs", sessions="window:60")
    assert not out.exists()


def test_a_spec_whose_layout_misses_a_header_is_refused(tmp_path):
    real = load_logs(LAYOUTS / "syslog_like.log", sessions="entity:req-[0-9a-f]{8}")
    spec, _ = profile_dataset(real, name="s")
    broken = spec.model_dump(mode="json", exclude_defaults=True)
    broken["layout"]["fields"] = broken["layout"]["fields"][1:]
    with pytest.raises(ValueError, match="the format's headers in order"):
        type(spec).model_validate(broken)


def test_messages_and_levels_do_not_depend_on_the_files_written(tmp_path):
    log, options = CASES["bgl"]
    spec, _ = profile_dataset(load_logs(log, **options), name="b", options=ProfileOptions(seed=4))
    synthesizer = StatsSynthesizer(spec)
    synthesizer.write(tmp_path / "one", n_lines=400, seed=6, formats=("jsonl",))
    synthesizer.write(tmp_path / "all", n_lines=400, seed=6)
    events = (tmp_path / "one" / "b.jsonl").read_text()
    assert events == (tmp_path / "all" / "b.jsonl").read_text()
    sampled = [row["level"] for chunk in synthesizer.sample(n_lines=400, seed=6) for row in chunk.iter_rows(named=True)]
    written = [json.loads(line)["level"] for line in events.splitlines()]
    assert sampled == written and "FATAL" in written


def test_cli_profile_and_validate_logs_of_any_layout(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)

    log = LAYOUTS / "syslog_like.log"
    spec = tmp_path / "s.yaml"
    refused = run("profile", str(log), "--format", "hdfs", "--sessions", "window:600", "--out", str(spec))
    assert refused.returncode == 2 and not spec.exists()
    assert refused.stderr.strip().count("\n") == 0
    assert "syslog_like.log:1: header Time holds '8', which is no time" in refused.stderr
    done = run("profile", str(log), "--sessions", "entity:req-[0-9a-f]{8}", "--out", str(spec))
    assert done.returncode == 0 and "layout (inferred)" in done.stderr
    assert run("generate", "stats", str(spec), "--lines", "200", "--out", str(tmp_path / "g")).returncode == 0
    checked = run("validate", str(log), str(tmp_path / "g"), "--sessions", "entity:req-[0-9a-f]{8}")
    assert checked.returncode == 0
    assert "format_roundtrip=1.000" in checked.stdout and "time_order=1.000" in checked.stdout


@pytest.mark.parametrize("fmt", ["%y%m%d %H%M%S", "%Y-%m-%d %H:%M:%S,%3f", "%Y-%m-%d-%H.%M.%S.%6f", "%s",
                                 "%Y-%m-%dT%H:%M:%S.%9fZ", "%b %e %H:%M:%S", "%a %b %d %H:%M:%S %Y"])
def test_any_time_written_reads_back_to_its_resolution(fmt):
    rng = np.random.default_rng(11)
    stamps = rng.integers(946_684_800_000_000, 1_893_456_000_000_000, 300)  # 2000 .. 2030
    render = TimeRenderer(fmt)
    step = 10 ** (6 - min(fraction_digits(fmt), 6))
    texts = render.many(stamps).to_list()
    for micros, text in zip(stamps.tolist(), texts, strict=True):
        assert text == render.one(micros)
        seconds = read_time((text,), (fmt,))
        expected = micros // step * step
        if "%Y" not in fmt and "%y" not in fmt and "%s" not in fmt:  # no year written: read in the default year
            assert round(seconds * 1e6) % 86_400_000_000 == expected % 86_400_000_000
        else:
            assert round(seconds * 1e6) == expected
        if "%a" in fmt:  # the day of the week is the date's own (it is written, never read)
            day = datetime.datetime.fromtimestamp(micros // 1_000_000, datetime.UTC)
            assert text.startswith(day.strftime("%a %b %d"))


LOGHUB_TIMES = [  # (Loghub system, header, values, format): dates of two-digit parts, and headers holding one part
    ("Spark", "Date", ["17/06/09", "17/06/10"], "%y/%m/%d"),
    ("Android", "Date", ["03-17", "12-01"], "%m-%d"),
    ("Proxifier", "Time", ["10.30 16:49:06", "10.31 01:02:03"], "%m.%d %H:%M:%S"),
    ("OpenSSH", "Date", ["Dec", "Jan"], "%b"),
    ("Linux", "Date", ["14", "9"], "%e"),
]


@pytest.mark.parametrize(("system", "name", "values", "expected"), LOGHUB_TIMES)
def test_loghub_layouts_clocks_are_read(system, name, values, expected):
    assert infer_time_format(values, name) == expected
    for value in values:
        assert TimeRenderer(expected).one(round(read_time((value,), (expected,)) * 1e6)).strip() == value


def test_short_dates_need_a_time_name_or_a_time_of_day():
    assert infer_time_format(["03-17"], "Pid") is None and infer_time_format(["03-17"], None) is None
    assert infer_time_format(["13/25/17 10:00:00"], None) is None  # no order of the parts gives a real date
    assert infer_time_format(["12/25/17 10:00:00"], None) == "%m/%d/%y %H:%M:%S"


def _same_pid_share(path: Path, follows: tuple[str, str] | None = None) -> tuple[int, int]:
    """Of consecutive lines of one component that both show a pid (or, with ``follows``, of consecutive lines whose
    contents start with these two words, in order), how many share the pid, and how many there are."""
    events = [get_format(LINUX).event(line) for _, line in iter_lines(path)]
    if follows is None:
        pairs = [(a, b) for a, b in pairwise(events) if a.component == b.component and a.fields["PID"]
                 and b.fields["PID"]]
    else:
        pairs = [(a, b) for a, b in pairwise(events) if a.content.startswith(follows[0])
                 and b.content.startswith(follows[1])]
    return sum(a.fields["PID"] == b.fields["PID"] for a, b in pairs), len(pairs)


def _linux_spec(**options):
    real = load_logs(LAYOUTS / "linux_like.log", log_format=LINUX, sessions="window:60")
    spec, _ = profile_dataset(real, name="linux", options=ProfileOptions(seed=4, **options))
    return spec


def _without_carry(spec):
    fields = [f.model_copy(update={"carry": {}}) for f in spec.layout.fields]
    return spec.model_copy(update={"layout": spec.layout.model_copy(update={"fields": fields})})


def load_spec_text(text: str, tmp_path: Path):
    path = tmp_path / "round.yaml"
    path.write_text(text)
    return load_spec(path)


def test_two_lines_of_one_process_in_a_time_window_share_its_pid(tmp_path):
    spec = _linux_spec()
    ids = {m.template: m.id for s in spec.services for m in s.messages}
    opened, closed = ids["session opened for user root by (uid=<p1>)"], ids["session closed for user root"]
    pid = spec.layout.field("PID")
    assert pid.kind == "value" and not pid.per_session  # a window holds several processes
    assert pid.carry[opened][closed] >= 0.9
    assert all(0.5 <= p <= 1 for row in pid.carry.values() for p in row.values())
    assert load_spec_text(dump_spec(spec), tmp_path) == spec  # the carry survives the YAML round trip
    StatsSynthesizer(spec).write(tmp_path / "carried", n_lines=2000, seed=4, formats=("raw",))
    StatsSynthesizer(_without_carry(spec)).write(tmp_path / "drawn", n_lines=2000, seed=4, formats=("raw",))
    session = ("session opened", "session closed")
    same, pairs = _same_pid_share(tmp_path / "carried" / "linux.log", session)
    assert pairs > 50 and same >= 0.9 * pairs
    real_same, real_pairs = _same_pid_share(LAYOUTS / "linux_like.log")
    carried_same, carried_pairs = _same_pid_share(tmp_path / "carried" / "linux.log")
    drawn_same, drawn_pairs = _same_pid_share(tmp_path / "drawn" / "linux.log")
    real, carried, drawn = real_same / real_pairs, carried_same / carried_pairs, drawn_same / drawn_pairs
    assert real > 0.6 and abs(carried - real) < 0.15  # as often as in the real log ...
    assert drawn < 0.05  # ... where pids drawn per line almost never meet
    # the carry changes the pids alone: every other byte of a line is what the spec without it writes
    strip = re.compile(r"\[\d+\]: ")
    assert strip.sub("[]: ", (tmp_path / "carried" / "linux.log").read_text()) == \
        strip.sub("[]: ", (tmp_path / "drawn" / "linux.log").read_text())


def test_a_spec_without_carry_writes_none_and_pids_carried_are_the_same_for_a_seed(tmp_path):
    spec = _linux_spec()
    assert "carry" not in dump_spec(_without_carry(spec))  # older spec files look the same and load the same
    for run, seed in (("a", 9), ("b", 9), ("c", 10)):
        StatsSynthesizer(spec).write(tmp_path / run, n_lines=800, seed=seed, formats=("raw",))
    text = (tmp_path / "a" / "linux.log").read_text()
    assert text == (tmp_path / "b" / "linux.log").read_text()
    assert text != (tmp_path / "c" / "linux.log").read_text()


def test_a_noised_profile_carries_and_renders_its_free_header(tmp_path):
    spec = _linux_spec(epsilon=8.0)
    pid = spec.layout.field("PID")
    assert pid.kind == "value" and pid.carry
    assert all(0.5 <= p <= 1 for row in pid.carry.values() for p in row.values())
    assert load_spec_text(dump_spec(spec), tmp_path) == spec
    StatsSynthesizer(spec).write(tmp_path / "gen", n_lines=600, seed=4)
    result = validate(reference_from_dataset(load_logs(LAYOUTS / "linux_like.log", log_format=LINUX,
                                                       sessions="window:60")), tmp_path / "gen")
    assert result["format_roundtrip"] == 1.0
    kernel = [get_format(LINUX).event(line) for _, line in iter_lines(tmp_path / "gen" / "linux.log")]
    assert {e.fields["PID"] for e in kernel if e.component == "kernel"} == {""}  # empty values stay empty


def test_only_a_free_header_drawn_per_line_carries():
    from synthlog.stats.spec import HeaderField

    assert HeaderField(name="Pid", kind="value", template="x", carry={"a": {"b": 0.8}}).carry == {"a": {"b": 0.8}}
    for bad in ({"kind": "message"}, {"kind": "value", "template": "x", "per_session": True},
                {"kind": "value", "template": "x", "carry": {"a": {"b": 1.5}}}):
        with pytest.raises(ValueError):
            HeaderField(**{"name": "Pid", "carry": {"a": {"b": 0.8}}, **bad})


@pytest.mark.parametrize(("chunk_bytes", "part_lines"), [(2_000, 7), (9_000, 60)])
def test_carries_counted_in_parts_are_those_of_one_pass(tmp_path, chunk_bytes, part_lines):
    from synthlog.execute import InProcess
    from synthlog.stats.profilewindows import profile_windows

    exact = dump_spec(_linux_spec())
    assert "carry:" in exact
    parted, _ = profile_windows(LAYOUTS / "linux_like.log", get_format(LINUX), "given", "window:60", None,
                                ProfileOptions(seed=4), InProcess(), "linux", tmp_path, chunk_bytes, part_lines)
    assert dump_spec(parted) == exact


def test_carried_values_follow_chains_within_an_owner_only():
    from types import SimpleNamespace

    from synthlog.stats.render import _carried, _carry_table

    # lines in time order: owner 0 writes messages a b b c, owner 1 writes a b interleaved, owner -1 writes a b
    owner = np.array([0, 1, 0, -1, 1, 0, -1, 0])
    message = np.array([0, 0, 1, 0, 1, 1, 1, 2])
    events = SimpleNamespace(owner=owner, message=message)
    order = np.argsort(message, kind="stable")
    table = _carry_table({"a": {"b": 1.0}, "b": {"b": 1.0}}, {"a": 0, "b": 1, "c": 2})
    source = _carried(events, order, table, np.random.default_rng(0))
    line = order[source]  # per message-sorted place, the line (in time order) whose value it writes
    writes = dict(zip(order.tolist(), line.tolist(), strict=True))
    assert writes == {0: 0, 2: 0, 5: 0, 7: 7, 1: 1, 4: 1, 3: 3, 6: 6}  # a b b of owner 0 share one value; c draws
    half = _carry_table({"a": {"b": 0.5}}, {"a": 0, "b": 1, "c": 2})
    kept = [order[_carried(events, order, half, np.random.default_rng(seed))][np.argsort(order)][2] == 0
            for seed in range(200)]
    assert 70 < sum(kept) < 130  # the line of b after a keeps a's value about half the time
