"""The drain3 template miner: masking, stable ids, parameters, caching that does not change results."""

from pathlib import Path

from synthlog.io.logformat import read_raw
from synthlog.parse.drain import (
    DrainConfig,
    Mask,
    ParameterExtractor,
    TemplateParser,
    compile_masks,
    parse_events,
    template_id,
)
from synthlog.records import LogEvent

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logs" / "blockstore.log"


def _events(*contents):
    return [LogEvent(content=c) for c in contents]


def test_masks_replace_blocks_addresses_hex_and_numbers_but_not_words():
    sub = compile_masks(DrainConfig().masks).sub
    text = "blk_-12 from /10.1.2.3:50010:Transmitted 0x1F size 3.5 x-7 myid=1 a1b2 java.io.E1"
    assert sub("<*>", text) == "<*> from /<*>:Transmitted <*> size <*> x-<*> myid=<*> a1b2 java.io.E1"


def test_lookahead_optimisation_does_not_change_what_is_masked():
    fast = compile_masks(DrainConfig().masks)
    plain = compile_masks([Mask(m.name, m.pattern) for m in DrainConfig().masks])
    assert fast.pattern != plain.pattern
    for line in EXAMPLE.read_text().splitlines():
        assert fast.sub("<*>", line) == plain.sub("<*>", line)


def test_templates_ids_and_parameters():
    events, templates = parse_events(_events(
        "Receiving block blk_1 src: /10.0.0.1:5000 dest: /10.0.0.2:50010",
        "Receiving block blk_-2 src: /10.0.0.3:5001 dest: /10.0.0.4:50010",
        "Deleting block blk_1 file /data/blk_1",
    ))
    texts = {t.text: t for t in templates.values()}
    receiving = texts["Receiving block <*> src: /<*> dest: /<*>"]
    assert receiving.id == template_id(receiving.text) and len(receiving.id) == 8
    assert receiving.occurrences == 2
    assert events[0].template_id == events[1].template_id == receiving.id
    assert events[1].parameters == ["blk_-2", "10.0.0.3:5001", "10.0.0.4:50010"]
    assert events[2].template_id != receiving.id


def test_same_input_same_ids_and_templates():
    contents = [e.content for e in read_raw(EXAMPLE, "hdfs")]
    first = parse_events(_events(*contents))
    second = parse_events(_events(*contents))
    assert [e.template_id for e in first[0]] == [e.template_id for e in second[0]]
    assert list(first[1]) == list(second[1])


def test_every_event_of_a_cluster_gets_the_final_template():
    # drain generalises the first template when the second line arrives; both lines must end with the same id
    events, templates = parse_events(_events("session opened for alice", "session opened for bob"))
    assert len(templates) == 1
    assert next(iter(templates.values())).text == "session opened for <*>"
    assert events[0].template_id == events[1].template_id


def test_cache_keeps_cluster_counts_right():
    parser = TemplateParser()
    ids = parser.add_all(["open file 1", "open file 2", "open file 1"])
    assert len(set(ids)) == 1
    _, templates = parser.templates()
    assert next(iter(templates.values())).occurrences == 3


def test_parameter_extractor_handles_collapsed_whitespace_and_misses():
    extract = ParameterExtractor()
    assert extract("copy <*> to <*>", "copy  a   to b") == ["a", "b"]
    assert extract("copy <*> to <*>", "move a to b") == []


def test_parameters_can_be_skipped():
    events, _ = parse_events(_events("open file 1"), DrainConfig(extract_parameters=False))
    assert events[0].template_id and events[0].parameters == []
