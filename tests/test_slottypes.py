"""Slot values from the code: declared types of slot expressions and the values they give (fixture code base)."""

import re
from pathlib import Path

import pytest

from synthlog.code.scan import scan
from synthlog.code.slottypes import slot_types, thread_names
from synthlog.synth.values import SlotKind, ValueContext, ValueGenerator, slot_sources

FIXTURE = Path(__file__).parent / "fixtures" / "codevalues" / "src"


@pytest.fixture(scope="module")
def typed():
    result = scan(FIXTURE)
    types = slot_types(result)
    return {s.template: (s, types[s.id]) for s in result.statements}


def test_declared_types_of_slot_expressions(typed):
    assert typed["maxConnections set to <*>"][1][0].name == "int"  # a field
    assert typed["binding to <*>"][1][0].name == "InetSocketAddress"  # a parameter
    assert typed["Creating new log file: log.<*>"][1][0].shape == "hex"  # Long.toHexString
    role, ready = typed["role is <*>, ready <*>"][1]
    assert role.constants == ("LEADER", "FOLLOWER", "OBSERVER") and ready.name == "boolean"
    name, path = typed["Snapshot <*> in <*>"][1]
    assert (name.name, name.shape, path.name, path.shape) == ("File", "file_name", "File", "")
    last, members, _peer = typed["last seen <*> members <*> peer <*>"][1]
    assert last.name == "long" and members.name == "List"  # a method of the same class: its return type
    message = typed["Failed to open: <*>"][1][0]
    assert message.shape == "message" and message.messages == ("Unreasonable length = <*>",)
    assert typed["Failed <*>"][1][0].name == "IOException"
    assert typed["last seen <*> members <*> peer <*>"][1][2].qualified == "org.example.kv.Store$Peer"  # no toString
    member, ternary = typed["joined <*><*>"][1]
    assert member.constants == ("Member(sid=<*>)",)  # toString, its same-class getter inlined
    assert ternary.constants == (" which had zxid 0x<*>", " (new)")


def kinds_and_sources(typed, template):
    statement, types = typed[template]
    return slot_sources(statement, types)


def test_types_decide_kinds_and_the_evidence_is_recorded(typed):
    assert kinds_and_sources(typed, "maxConnections set to <*>") == [(SlotKind.NUMBER, "type")]
    assert kinds_and_sources(typed, "binding to <*>") == [(SlotKind.SOCKET_ADDRESS, "type")]
    assert kinds_and_sources(typed, "Reading snapshot 0x<*>") == [(SlotKind.HEX_ID, "literal")]
    assert [k for k, _ in kinds_and_sources(typed, "role is <*>, ready <*>")] == [SlotKind.ENUM, SlotKind.BOOLEAN]
    # without the code's types the same statement falls back on names and text
    statement, _ = typed["maxConnections set to <*>"]
    assert slot_sources(statement)[0][1] != "type"


def test_values_follow_the_types(typed):
    gen = ValueGenerator(3)
    ctx = ValueContext(5)

    def fill(template):
        statement, types = typed[template]
        return gen.fill(statement, ctx, types)[1]

    for _ in range(20):
        assert re.fullmatch(r"\d+", fill("maxConnections set to <*>")[0])
        assert re.fullmatch(r"[0-9a-f]+", fill("Creating new log file: log.<*>")[0])  # bare: no 0x of its own
        assert re.fullmatch(r"[0-9a-f]+", fill("Reading snapshot 0x<*>")[0])
        role, ready = fill("role is <*>, ready <*>")
        assert role in ("LEADER", "FOLLOWER", "OBSERVER") and ready in ("true", "false")
        name, path = fill("Snapshot <*> in <*>")
        assert "/" not in name and path.startswith("/")
        assert fill("Failed to open: <*>")[0].startswith("Unreasonable length = ")
        assert fill("Failed <*>")[0].startswith("java.io.IOException: Unreasonable length = ")
        assert re.fullmatch(r"/\d+\.\d+\.\d+\.\d+:\d+", fill("binding to <*>")[0])
        assert re.fullmatch(r"org\.example\.kv\.Store\$Peer@[0-9a-f]+", fill("last seen <*> members <*> peer <*>")[2])
        member, ternary = fill("joined <*><*>")
        assert re.fullmatch(r"Member\(sid=\d+\)", member)
        assert re.fullmatch(r" which had zxid 0x[0-9a-f]+| \(new\)", ternary)


def test_defaults_are_system_neutral_and_overrides_come_from_the_caller(typed):
    statement, types = typed["Snapshot <*> in <*>"]
    plain = ValueGenerator(1).fill(statement, ValueContext(1), types)[1][1]
    assert "/user/" not in plain and "hadoop" not in plain
    custom = ValueGenerator(1, overrides={"File": ["/mnt/disk#/{hex_id}"]})
    value = custom.fill(statement, ValueContext(1), types)[1][1]
    assert re.fullmatch(r"/mnt/disk\d/0x[0-9a-f]+", value)


def test_thread_names_come_from_the_code():
    names = thread_names(scan(FIXTURE))
    template, types = names["Store$Sender"]
    assert template == "Sender:<*>" and types[0].name == "long"
    assert "Store" not in names  # not a thread, names none


def test_the_example_code_base_gets_types_for_most_slots():
    result = scan(Path(__file__).parents[1] / "examples" / "blockstore" / "src")
    types = slot_types(result)
    slots = [t for s in result.statements for t in types[s.id]]
    assert slots and sum(t.known for t in slots) / len(slots) > 0.5
    assert all(len(types[s.id]) == len(s.args) for s in result.statements)
