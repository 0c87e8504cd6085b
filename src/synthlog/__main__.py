"""Run the command-line interface as ``python -m synthlog``."""

from synthlog.cli import main

main()
