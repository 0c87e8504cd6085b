"""YAML configuration files: every problem named by file, line and field."""

import pytest
from pydantic import BaseModel, ConfigDict

from synthlog.configfile import load_config
from synthlog.errors import ConfigError


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int = 1


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    stages: list[Stage]


def test_valid_file_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: x\nstages:\n  - name: a\n    count: 3\n")
    assert load_config(Config, path).stages[0].count == 3


@pytest.mark.parametrize("text, where", [
    ("name: x\nstages:\n  - name: a\n    count: many\n", "c.yaml:4: stages.0.count: "),
    ("name: x\nstages:\n  - count: 2\n", "c.yaml:3: stages.0.name: Field required"),
    ("name: x\nstages: []\nextra: 1\n", "c.yaml:3: extra: Extra inputs are not permitted"),
    ("name: x\nstages:\n  - name: a\n    count: 2\n    count: 3\n",
     "c.yaml:5: stages.0.count: key 'count' appears twice"),
    ("- a\n- b\n", "c.yaml:1: a configuration is a YAML mapping"),
])
def test_problems_name_file_line_and_field(tmp_path, text, where):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(Config, path)
    assert str(info.value).startswith(f"{tmp_path}/{where}")
