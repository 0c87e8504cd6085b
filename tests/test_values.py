"""Slot values: kind inference, realistic shapes, per-session consistency, learned shapes, determinism."""

import ipaddress
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlog.code.records import Statement
from synthlog.records import LogEvent, Template
from synthlog.synth.values import (
    SlotKind,
    ValueContext,
    ValueGenerator,
    ValueModel,
    classify_value,
    infer_slot_kinds,
    render,
)

K = SlotKind
LOGHUB_2K = Path(__file__).resolve().parents[2] / "shared/data/hdfs/loghub_2k/HDFS_2k.log_structured.csv"


def stmt(template, args=(), language="java"):
    return Statement("S1", "F.java", 1, 1, "DataNode", "m", "INFO", template, list(args), language=language)


@pytest.mark.parametrize(("template", "args", "kinds"), [
    ("Receiving block <*> src: <*> dest: <*>", ["block", "s.getRemoteSocketAddress()", "s.getLocalSocketAddress()"],
     [K.BLOCK_ID, K.SOCKET_ADDRESS, K.SOCKET_ADDRESS]),
    ("<*> Served block <*> to <*>", ["dnRegistration", "block", "s.getInetAddress()"],
     [K.HOST_PORT, K.BLOCK_ID, K.INET_ADDRESS]),
    ("Received block <*> of size <*> from <*>", ["b", "b.getNumBytes()", "inAddr"], [K.BLOCK_ID, K.SIZE, K.HOST_PORT]),
    ("BlockReport of <*> blocks got processed in <*> msecs", ["bReport.length", "processTime"], [K.COUNT, K.DURATION]),
    ("Session <*> expired", ["Long.toHexString(sessionId)"], [K.HEX_ID]),
    ("Opening channel to server <*>", ["sid"], [K.NUMBER]),
    ("writeBlock <*> received exception <*>", ["block", "ioe"], [K.BLOCK_ID, K.EXCEPTION]),
    ("Error: <*>", ["e.getMessage()"], [K.ERROR_MESSAGE]),
    ("Opened <*> on port <*>", ["path", "infoPort"], [K.PATH, K.PORT]),
    ("state is <*>, uuid <*>", ["getState()", "id.uuid"], [K.ENUM, K.UUID]),
    ("host <*> retries <*>", ["hostName", "numRetries"], [K.HOSTNAME, K.COUNT]),
    ("loaded in <*> seconds, safe mode off after <*> secs", ["(FSNamesystem.now() - startTime)/1000",
                                                              "timeInSafemode/1000"], [K.DURATION, K.DURATION]),
    ("Deleting block <*> file <*>", ["invalidBlks[i]", "f"], [K.BLOCK_ID, K.PATH]),
    ("<*> is out of service; mirror <*>; targets <*>",
     ["nodeDescr.getName()", "mirrorNode", "Arrays.asList(newTargets)"], [K.HOST_PORT, K.HOST_PORT, K.HOST_PORT]),
    ("length=<*> blocks=<*> state <*>", ["newlength", "numBlocks", "upgradeState"], [K.SIZE, K.COUNT, K.ENUM]),
    # mined templates: no expressions, the literal text decides
    ("<*>:<*> Served block blk_<*> to /<*>", [], [K.IPV4, K.PORT, K.BLOCK_ID, K.INET_ADDRESS]),
    ("Receiving block blk_<*> src: /<*>:<*> dest: /<*>:<*>", [], [K.BLOCK_ID, K.IPV4, K.PORT, K.IPV4, K.PORT]),
    ("Deleting block <*> file <*>", [], [K.BLOCK_ID, K.PATH]),
    ("took <*> ms, wrote <*> bytes in session 0x<*>", [], [K.DURATION, K.SIZE, K.HEX_ID]),
    ("value <*>", [], [K.STRING]),
])
def test_kind_inference(template, args, kinds):
    assert infer_slot_kinds(stmt(template, args)) == kinds


def test_declared_types_decide_over_names():
    s = stmt("got <*> and <*>", ["x", "y"])
    assert infer_slot_kinds(s, ["Block", "java.net.InetSocketAddress"]) == [K.BLOCK_ID, K.SOCKET_ADDRESS]
    assert infer_slot_kinds(s, ["long", None]) == [K.NUMBER, K.STRING]


SHAPES = {
    K.BLOCK_ID: r"blk_-?\d{1,19}", K.IPV4: r"(\d{1,3}\.){3}\d{1,3}", K.HOST_PORT: r"(\d{1,3}\.){3}\d{1,3}:\d+",
    K.SOCKET_ADDRESS: r"/(\d{1,3}\.){3}\d{1,3}:\d+", K.INET_ADDRESS: r"/(\d{1,3}\.){3}\d{1,3}", K.PORT: r"\d{2,5}",
    K.PATH: r"/[\w./-]+", K.SIZE: r"\d+", K.DURATION: r"\d+", K.TIMESTAMP: r"\d{13}", K.COUNT: r"\d+",
    K.HEX_ID: r"0x[0-9a-f]+", K.EXCEPTION: r"java\.[\w.]+(Exception|Error)(: .+)?", K.ENUM: r"[A-Z]+",
    K.BOOLEAN: r"true|false", K.NUMBER: r"\d+", K.STRING: r"[a-z]+-\d+", K.HOSTNAME: r"[\w.-]+",
    K.ERROR_MESSAGE: r".+",
}


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_every_kind_has_a_realistic_shape(kind):
    gen, ctx = ValueGenerator(1), ValueContext(2)
    for key in range(5):
        assert re.fullmatch(SHAPES[kind], gen.value(kind, f"k{key}", ctx)), kind
    assert str(uuid.UUID(gen.value(K.UUID, "u", ctx))).count("-") == 4
    assert ipaddress.IPv6Address(gen.value(K.IPV6, "v", ctx)).is_private


def test_service_port_without_a_model():
    assert {n.port for n in ValueGenerator(0, service_port=2181).cluster} == {2181}


def test_python_statements_get_python_values():
    gen = ValueGenerator(1)
    text, params = gen.fill(stmt("failed: <*> (ok=<*>)", ["exc", "is_ok"], language="python"), ValueContext(3))
    assert params[1] in ("True", "False") and "java" not in params[0]


def test_session_consistency_and_pool():
    gen = ValueGenerator(5)
    ctx = gen.context(9, nodes=3)
    _, a = gen.fill(stmt("Receiving block <*> src: <*> dest: <*>",
                         ["block", "s.getRemoteSocketAddress()", "s.getLocalSocketAddress()"]), ctx)
    _, b = gen.fill(stmt("<*> Served block <*> to <*>", ["dnRegistration", "b.getBlockId()", "remote"]), ctx)
    _, c = gen.fill(stmt("<*>:<*> Served block blk_<*> to /<*>"), ctx)
    _, d = gen.fill(stmt("<*> Received block <*> then <*>", ["dnRegistration", "block", "newBlock"]), ctx)
    assert a[0] == b[1] == "blk_" + c[2] == d[1]  # one block per session, with or without the prefix
    assert d[2] != d[1]  # a differently named block is another entity
    assert b[0] == d[0]  # the same node wherever dnRegistration is named
    ips = {x.split(":")[0].lstrip("/") for x in [a[1], a[2], b[0], b[2], d[0]]} | {c[0]}
    assert ips <= {n.ip for n in ctx.pool} and len(ctx.pool) == 3
    assert {n.ip for n in ctx.pool} <= {n.ip for n in gen.cluster}
    other = gen.context(10)
    assert gen.fill(stmt("block <*>", ["block"]), other)[1] != [a[0]]
    _, sizes = gen.fill(stmt("size <*> bytes (<*> KB)", ["size", "size/1024"]), ctx)
    assert sizes[0] != sizes[1]  # an expression over a variable is another value


def test_durations_are_fresh_but_seeded():
    gen = ValueGenerator(0)
    ctx = ValueContext(1)
    values = [gen.value(K.DURATION, "t", ctx) for _ in range(20)]
    assert len(set(values)) > 5
    again = ValueContext(1)
    assert values == [gen.value(K.DURATION, "t", again) for _ in range(20)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["block", "dnRegistration", "e", "size", "path", "n", "x", ""]), min_size=0,
                max_size=5), st.integers(0, 2**32), st.lists(st.sampled_from([" ", "blk_", ": ", " to /", "x=", ""]),
                                                            min_size=6, max_size=6))
def test_fill_is_a_deterministic_instance_of_the_template(args, seed, literals):
    template = literals[0] + "".join("<*>" + lit for lit in literals[1:len(args) + 1])
    s = stmt(template, args)
    text, params = ValueGenerator(seed).fill(s, ValueContext(seed))
    assert text == render(template, params) and "\n" not in text
    assert re.fullmatch(".*?".join(re.escape(piece) for piece in template.split("<*>")), text)
    assert (text, params) == ValueGenerator(seed).fill(s, ValueContext(seed))


def test_exception_type_steers_exception_slots():
    gen = ValueGenerator(0)
    _, params = gen.fill(stmt("failed: <*>", ["e"]), ValueContext(0), exception_type="exception:SocketTimeoutException")
    assert params[0].startswith("java.net.SocketTimeoutException")


def test_classify_value():
    assert classify_value("blk_-1608999687919862906") == K.BLOCK_ID
    assert classify_value("10.251.42.84:50010") == K.HOST_PORT
    assert classify_value("/10.251.42.84") == K.INET_ADDRESS
    assert classify_value("/user/root/rand/_temporary/part-00000") == K.PATH
    assert classify_value("0x13ef2ad6d280000") == K.HEX_ID
    assert classify_value("java.io.IOException: Connection reset by peer") == K.EXCEPTION
    assert classify_value("67108864") == K.NUMBER and classify_value("hello world") is None


REAL = (["10.251.42.84:50010", "10.251.42.85:50010", "10.250.19.102:54106", "/10.251.71.16"] * 10
        + ["blk_-1608999687919862906", "blk_7503483334202473044"] * 5
        + ["/user/root/rand/_temporary/_task_200811092030_0001_m_000590_0/part-00590"] * 3
        + ["0x13ef2ad6d280000"])


def test_model_generates_new_values_in_learned_shapes():
    model = ValueModel.fit(REAL)
    gen = ValueGenerator(4, model=model)
    assert {n.ip.rsplit(".", 2)[0] for n in gen.cluster} <= {"10.251", "10.250"}
    assert not {n.ip for n in gen.cluster} & {"10.251.42.84", "10.251.42.85", "10.250.19.102", "10.251.71.16"}
    assert {n.port for n in gen.cluster} == {50010}  # a frequent port is shape, kept
    ctx = ValueContext(0)
    blocks = {gen.value(K.BLOCK_ID, f"b{i}", ctx) for i in range(30)}
    assert all(re.fullmatch(r"blk_-?\d{19}", b) for b in blocks) and not blocks & set(REAL)
    path = gen.value(K.PATH, "p", ctx)
    assert re.fullmatch(r"/user/root/rand/_temporary/_task_\d{12}_\d{4}_m_\d{6}_\d/part-\d{5}", path)
    assert path not in REAL
    assert re.fullmatch(r"0x[0-9a-f]{1,15}", gen.value(K.HEX_ID, "h", ctx))


def test_real_values_only_when_allowed():
    gen = ValueGenerator(4, model=ValueModel.fit(REAL, allow_real_values=True))
    assert {n.ip for n in gen.cluster} <= {"10.251.42.84", "10.251.42.85", "10.250.19.102", "10.251.71.16"}
    assert gen.value(K.BLOCK_ID, "b", ValueContext(0)) in REAL


def test_model_from_events_uses_template_context():
    templates = {"E1": Template("E1", "Received block blk_<*> of size <*> from /<*>")}
    events = [LogEvent(content="", template_id="E1", parameters=["-42", str(1000 + i), "10.9.1.2"]) for i in range(30)]
    model = ValueModel.fit(events, templates, min_count=1000)
    assert model.blocks == 30 and "10.9" in model.subnets
    size = int(model.sample(K.SIZE, __import__("random").Random(0)))
    assert 1000 <= size <= 1029


@pytest.mark.skipif(not LOGHUB_2K.exists(), reason="shared data set not present")
def test_model_fitted_on_real_hdfs_generates_hdfs_shaped_lines():
    model = ValueModel.fit_structured(LOGHUB_2K)
    real_ips = model.real_ips
    gen = ValueGenerator(7, model=model)
    assert {n.ip.rsplit(".", 2)[0] for n in gen.cluster} <= set(model.subnets)
    assert not {n.ip for n in gen.cluster} & real_ips
    text, _ = gen.fill(stmt("Receiving block blk_<*> src: /<*>:<*> dest: /<*>:<*>"), gen.context(1))
    assert re.fullmatch(r"Receiving block blk_-?\d+ src: /10\.25[01](\.\d+){2}:\d+ dest: /10\.25[01](\.\d+){2}:50010",
                        text), text


def test_model_learns_hex_values_of_numeric_slots():
    templates = {"E1": Template("E1", "Read <*> bytes from <*> port <*>")}
    events = [LogEvent(content="", template_id="E1", parameters=["0x1f", "10.9.1.2", "0x50"])]
    model = ValueModel.fit(events, templates, min_count=1)
    assert model.numbers[K.SIZE].values == {31: 1}
    assert model.ports == {80: 1}


def test_a_nodes_name_is_its_address():
    statement = Statement("S1", "F.java", 1, 1, "FSNamesystem", "addToInvalidates", "INFO",
                          "BLOCK* NameSystem.delete: <*> is added to invalidSet of <*>",
                          ["b.getBlockName()", "n.getName()"])
    assert infer_slot_kinds(statement) == [SlotKind.BLOCK_ID, SlotKind.HOST_PORT]


def test_a_fitted_model_calibrates_each_slot_of_a_matched_template():
    templates = {"E1": Template("E1", "Notification time out: <*>"), "E2": Template("E2", "Peer state <*> <*>")}
    events = [LogEvent(content="", template_id="E1", parameters=[str(v)]) for v in (200, 400, 800, 1600, 3200) * 8]
    events += [LogEvent(content="", template_id="E2", parameters=["LOOKING", "1"]) for _ in range(25)]
    events += [LogEvent(content="", template_id="E2", parameters=["secret", "2"])]
    model = ValueModel.fit(events, templates)
    gen = ValueGenerator(2, model=model)
    timeouts = {gen.fill(stmt("Notification time out: <*>", ["notTimeout"]), ValueContext(s), template_id="E1")[1][0]
                for s in range(40)}
    assert all(200 <= int(t) <= 3200 for t in timeouts) and len(timeouts) > 5  # new values in the slot's range
    states = {gen.fill(stmt("Peer state <*> <*>", ["state", "n"]), ValueContext(s), template_id="E2")[1][0]
              for s in range(40)}
    assert states == {"LOOKING"}  # a word seen fewer than min_count times is never copied
    other = gen.fill(stmt("Notification time out: <*>", ["notTimeout"]), ValueContext(1))[1][0]
    assert other.isdigit()  # without the template id: the generic shape
