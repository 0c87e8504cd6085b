"""``--workers N`` of `generate code`: a plain pool of local processes that make and render the sessions, running
at once, results in task order, and a data set byte-identical to the one one process writes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from pathlib import Path

import pytest

from blockstore import RECIPE, TEMPLATES
from synthlog.execute import ProcessPool, open_executor
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer


def _scaled(factor: int, value: int) -> int:
    return factor * value


def _meet(barrier, index: int) -> tuple[int, int]:
    barrier.wait(timeout=120)  # returns only once another process waits too
    return index, os.getpid()


def test_tasks_come_back_in_order_with_the_shared_values_of_each_map():
    with open_executor(2, local="processes") as pool:
        assert isinstance(pool, ProcessPool)
        three = pool.share(3)
        assert list(pool.map(_scaled, ((three, i) for i in range(40)))) == [3 * i for i in range(40)]
        seven = pool.share(7)  # shared after the processes started: the next map starts fresh ones that hold it
        assert list(pool.map(_scaled, [(seven, 2), (three, 5)])) == [14, 15]


def test_two_processes_run_at_once():
    with open_executor(2, local="processes") as pool:
        barrier = pool.share(multiprocessing.get_context("fork").Barrier(2))
        done = list(pool.map(_meet, ((barrier, i) for i in range(4))))
    assert [index for index, _ in done] == [0, 1, 2, 3]
    assert len({pid for _, pid in done}) == 2 and os.getpid() not in {pid for _, pid in done}


@pytest.fixture(scope="module")
def synth(graph):
    return CodeSynthesizer(CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES)).fit(graph)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_sessions_made_and_rendered_by_workers_give_the_same_bytes(synth, tmp_path):
    # 520 sessions: a range of 500 and a short one; the otel file carries the events themselves from the workers
    written = {}
    for workers in (1, 2):
        with open_executor(workers, local="processes") as run_on:
            synth.write(tmp_path / str(workers), 520, seed=4, executor=run_on, formats=("otel",))
        written[workers] = _digests(tmp_path / str(workers))
    assert written[1] == written[2]
    assert {"blockstore.log", "blockstore.jsonl", "blockstore.otel.json", "summary.json"} <= set(written[1])
