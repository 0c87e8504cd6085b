"""The detector benchmark command: real, synthetic and augmented training regimes."""

from __future__ import annotations

from synthlog.cli.app import app  # noqa: F401
