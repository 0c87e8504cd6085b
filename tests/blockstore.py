"""Paths of the bundled block-store example (Java source, recipe, real-style templates) many tests generate from."""

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "blockstore"
SRC = EXAMPLE / "src"
RECIPE = EXAMPLE / "recipe.yaml"
TEMPLATES = EXAMPLE / "templates.csv"
