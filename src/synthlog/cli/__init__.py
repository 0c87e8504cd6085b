"""Command-line interface: one thin module per command group, all registered on one Typer app."""

from synthlog.cli import bench, code, data, generate, report, stats  # noqa: F401  (each registers its commands)
from synthlog.cli.app import app, main

__all__ = ["app", "main"]
