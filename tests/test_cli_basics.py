"""The CLI shell: version, help for every command, one-line errors."""

import subprocess
import sys

from synthlog import __version__


def run(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    top = run("--help")
    assert top.returncode == 0
    for group in ["code", "datasets", "generate", "spec"]:
        assert group in top.stdout
        assert run(group, "--help").returncode == 0


def test_unknown_command_fails_without_traceback():
    out = run("no-such-command")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
