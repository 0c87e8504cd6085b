"""Shared test fixtures: every test starts with the CLI's process-wide settings at their defaults."""

import pytest

from synthlog.cli.app import options
from synthlog.progress import set_quiet


@pytest.fixture(autouse=True)
def _default_cli_settings():
    """An in-process CLI call with --quiet or --seed changes process-wide state; every test starts from the
    defaults, so no test depends on which ran before it in the same worker."""
    set_quiet(False)
    options.seed, options.quiet, options.verbose = 0, False, False
    yield
