"""YAML configuration files: every problem named by file, line and field."""

import resource
import subprocess
import sys

import pytest
from pydantic import BaseModel, ConfigDict

from synthlog.configfile import load_config
from synthlog.detect.bench import load_config as load_bench_config
from synthlog.errors import ConfigError
from synthlog.stats.specfile import load_spec
from synthlog.synth.labels import LabelRules
from synthlog.synth.recipe import load_recipe


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


def _alias_bomb(levels: int = 9) -> str:
    """A billion laughs: 10**levels strings through aliases, in under 600 bytes."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nstages: *a{levels - 1}\nname: x\n"


def _bounded_cli(*args):
    """The CLI in a child limited to 1 GiB of address space and 60 s, so a regression fails instead of hanging."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit)


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb())
    with pytest.raises(ConfigError, match=r"bomb.yaml:\d+: expands to more than 2,000,000 values through its alias"):
        load_config(Config, path)


def test_shared_aliases_below_the_bound_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: x\nstages:\n  - &s {name: a, count: 2}\n  - *s\n  - *s\n")
    assert [s.count for s in load_config(Config, path).stages] == [2, 2, 2]


def test_nesting_1000_deep_is_one_line_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: x\nstages: " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(ConfigError, match=r"deep.yaml:2: nested more than 100 levels deep"):
        load_config(Config, path)


def test_a_file_that_is_not_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: x\nstages:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin.yaml:3: not valid UTF-8 \(byte 0xe9\)"):
        load_config(Config, path)


@pytest.mark.parametrize("reader", [load_spec, load_recipe, load_bench_config, LabelRules.load])
def test_every_yaml_reader_refuses_the_bomb(tmp_path, reader):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb())
    with pytest.raises(ConfigError, match="expands to more than 2,000,000 values"):
        reader(bomb)


def test_the_cli_refuses_the_bomb_in_one_line(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb())
    run = _bounded_cli("generate", "stats", str(bomb), "--lines", "10", "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert run.stderr.splitlines()[0].startswith(f"error: {bomb}:") and "Traceback" not in run.stderr
    assert "expands to more than 2,000,000 values" in run.stderr


def test_a_non_utf8_spec_names_the_file(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"name: x\n# caf\xe9\nservices: []\n")
    run = _bounded_cli("spec", "check", str(spec))
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == f"error: {spec}:2: not valid UTF-8 (byte 0xe9)"
