"""Progress reporting: plain lines on a non-terminal, readable counts, nothing when quiet."""

import pytest

from synthlog.progress import Progress, set_quiet, track


def test_plain_lines_show_whole_counts(capsys):
    with Progress("reading", total=2_000_000, interval=0) as bar:
        bar.advance(1_048_576)
    assert capsys.readouterr().err.splitlines() == ["reading: 1,048,576/2,000,000"]


def test_track_yields_every_item_and_quiet_prints_nothing(capsys):
    set_quiet(True)
    try:
        assert list(track(range(5), "items")) == [0, 1, 2, 3, 4]
        with Progress("quiet", interval=0) as bar:
            bar.advance(3)
    finally:
        set_quiet(False)
    assert capsys.readouterr().err == ""


def test_after_a_stop_request_every_progress_step_interrupts():
    # SIGTERM's KeyboardInterrupt can land in a finaliser, which only prints it; the next step raises it again
    from synthlog import progress

    with Progress("work", interval=60) as bar:
        bar.advance()
        progress.request_stop()
        try:
            with pytest.raises(KeyboardInterrupt):
                bar.advance()
            with pytest.raises(KeyboardInterrupt):
                list(track(range(3), "more"))
        finally:
            progress._settings["stop"] = False
    assert bar.done == 1
