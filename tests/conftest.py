"""Shared test fixtures: CLI settings reset before every test; the example block store's call graph, built once."""

import pytest

from blockstore import SRC
from synthlog.cli.app import options
from synthlog.code.callgraph import build_call_graph
from synthlog.progress import set_quiet


@pytest.fixture(autouse=True)
def _default_cli_settings():
    """An in-process CLI call with --quiet or --seed changes process-wide state; every test starts from the
    defaults, so no test depends on which ran before it in the same worker."""
    set_quiet(False)
    options.seed, options.quiet, options.verbose = 0, False, False
    yield


@pytest.fixture(scope="session")
def graph():
    """The call graph of the bundled block-store example (read-only for tests)."""
    return build_call_graph(SRC)
