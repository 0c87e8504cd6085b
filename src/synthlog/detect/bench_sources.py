"""Where the bench's synthetic sets come from: a directory read once, or a set made inside the bench for each seed.

- ``from: file`` (default): a data set directory (or name), the same for every seed;
- ``from: profile``: a statistics spec profiled from the seed's real *training* sessions only (never validation or
  test), simulated (``lines`` lines, the seed's own stream) and read back like ``synthlog generate stats`` output;
- ``from: code``: the code-guided generator, fitted once on the source folder (``src``, which may name an
  environment variable as ``${NAME}``) with a recipe; with ``calibrate: train`` it is calibrated per seed from
  that seed's training sessions only, then sampled with the seed; without calibration one sample serves every seed.

A source pickles (so dask workers can make the per-seed sets): a fitted code-guided generator holds parsed code
trees, which do not, so it travels as its saved model (:meth:`~synthlog.synth.generate.CodeSynthesizer.save`,
JSON), which calibrates and samples the same without the source.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthlog.errors import InputError
from synthlog.records import LabeledDataset

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SyntheticSpec(BaseModel):
    """One synthetic data set of a bench config (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: Literal["file", "profile", "code"] = Field("file", alias="from")
    path: str | None = None
    name: str | None = None
    lines: int = Field(60000, gt=0, description="profile: lines simulated per seed")
    src: str | None = Field(None, description="code: the source folder; ${NAME} reads an environment variable")
    recipe: str | None = None
    align_to: str | None = Field(None, description="code: templates CSV to align to (default: the real data's)")
    sessions: int = Field(20000, gt=0, description="code: sessions sampled")
    calibrate: Literal["none", "train"] = "none"
    seed: int = Field(1, description="code without calibration: the one sample's seed")

    @model_validator(mode="after")
    def _complete(self) -> SyntheticSpec:
        if self.source == "file" and not self.path:
            raise ValueError("a synthetic data set read from a directory needs 'path'")
        if self.source == "code" and not (self.src and self.recipe):
            raise ValueError("a code-guided synthetic set needs 'src' (the source folder) and 'recipe'")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return Path(self.path).name if self.source == "file" else {"profile": "profile", "code": "codegen"}[self.source]

    @property
    def per_seed(self) -> bool:
        return self.source == "profile" or (self.source == "code" and self.calibrate == "train")


def resolve(reference: str, base_dir: Path) -> str:
    """A path relative to the config's directory when it exists there, else the reference unchanged (a name)."""
    candidate = Path(reference).expanduser()
    if not candidate.is_absolute() and (base_dir / candidate).exists():
        return str(base_dir / candidate)
    return str(candidate) if candidate.is_absolute() else reference


def expand_environment(value: str, field: str) -> str:
    """``${NAME}`` replaced by the environment variable; an unset one is a one-line error naming it."""
    def lookup(match: re.Match) -> str:
        name = match.group(1)
        if not os.environ.get(name):
            raise InputError(f"set the environment variable {name} (used as {value!r})", field=field)
        return os.environ[name]
    return _ENV.sub(lookup, value)


class SyntheticSource:
    """One synthetic set: ``prepare`` once, then ``for_seed`` per seed (the seed's real training sessions given)."""

    def __init__(self, spec: SyntheticSpec, index: int, base_dir: Path):
        self.spec, self.base_dir = spec, base_dir
        self.field = f"data.synthetic.{index}"
        self._shared: LabeledDataset | None = None
        self.prepare_seconds = 0.0

    @classmethod
    def of(cls, name: str, dataset: LabeledDataset) -> SyntheticSource:
        """A source for a data set already loaded (the same for every seed)."""
        source = cls(SyntheticSpec(path=name, name=name), 0, Path("."))
        source._shared = dataset
        return source

    def prepare(self, real: LabeledDataset) -> None:
        from synthlog.io.datasets import load_dataset

        started = time.perf_counter()
        if self._shared is not None:
            return
        if self.spec.source == "file":
            self._shared = load_dataset(resolve(self.spec.path, self.base_dir))
        elif self.spec.source == "code":
            self._fit_code(real)
            if not self.spec.per_seed:
                self._shared = self._synth.sample(self.spec.sessions, self.spec.seed, values=False)
        self.prepare_seconds = time.perf_counter() - started

    def _fit_code(self, real: LabeledDataset) -> None:
        from synthlog.io.loghub import write_templates
        from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

        src = resolve(expand_environment(self.spec.src, f"{self.field}.src"), self.base_dir)
        if not Path(src).is_dir():
            raise InputError("the source folder of the code-guided set does not exist", path=src,
                             field=f"{self.field}.src")
        recipe = resolve(self.spec.recipe, self.base_dir)
        with tempfile.TemporaryDirectory(prefix="synthlog-bench-") as tmp:
            align_to = self.spec.align_to and resolve(self.spec.align_to, self.base_dir)
            if align_to is None:  # the real data set's own templates, so generated ids are the real ids
                align_to = str(Path(tmp) / "real_templates.csv")
                write_templates(align_to, dict(sorted(real.templates.items())))
            synth = CodeSynthesizer(CodeGenConfig(recipe=recipe, align_to=align_to)).fit(src)
        if self.spec.calibrate == "train" and not hasattr(synth, "calibrate"):
            raise InputError("calibration is not available in this version of the code-guided generator",
                             field=f"{self.field}.calibrate")
        self._synth = synth

    def for_seed(self, seed: int, train: LabeledDataset) -> LabeledDataset:
        """The set this seed trains with; ``train`` (the seed's real training sessions) feeds per-seed sets only."""
        if self._shared is not None:
            return self._shared
        if self.spec.source == "profile":
            return _profiled(train, self.spec.lines, seed)
        # calibration starts from the fitted code model at every call, so one fitted generator serves every seed;
        # the bench reads event sequences and labels only, so skeleton sessions (no values) serve, four times faster
        return self._synth.calibrate(train).sample(self.spec.sessions, seed, values=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        if "_synth" in state:
            with tempfile.TemporaryDirectory(prefix="synthlog-bench-model-") as tmp:
                state["_synth"] = self._synth.save(Path(tmp) / "model.json").read_text(encoding="utf-8")
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "_synth" in state:
            from synthlog.synth.generate import CodeSynthesizer

            with tempfile.TemporaryDirectory(prefix="synthlog-bench-model-") as tmp:
                model = Path(tmp) / "model.json"
                model.write_text(state["_synth"], encoding="utf-8")
                state = {**state, "_synth": CodeSynthesizer.load(model)}
        vars(self).update(state)

    def describe(self) -> dict[str, Any]:
        return {"from": self.spec.source, **({"path": self.spec.path} if self.spec.path else {}),
                **({"calibrate": self.spec.calibrate} if self.spec.source == "code" else {}),
                "prepare_seconds": round(self.prepare_seconds, 2)}


def _profiled(train: LabeledDataset, lines: int, seed: int) -> LabeledDataset:
    """Profile ``train``, simulate ``lines`` lines with ``seed`` and read the result back as a labeled data set."""
    from synthlog.io.datasets import load_dataset
    from synthlog.stats.profile import profile_dataset
    from synthlog.stats.simulate import StatsSynthesizer

    spec, _ = profile_dataset(train, name=f"{train.name}-profile")
    with tempfile.TemporaryDirectory(prefix="synthlog-bench-profile-") as tmp:
        StatsSynthesizer(spec).write(tmp, n_lines=lines, seed=seed)
        return load_dataset(tmp)
