"""Profile each reachable raw log with default options, generate as many lines, validate: value_shape_agreement
with the layout metrics and the leak counts (secrets, rare tokens) beside it.

Run: .venv/bin/python benchmarks/value_shapes.py [--seeds 2]
Inputs: HDFS 2k and first-20k raw samples, the ZooKeeper 2k sample (60 s windows) from ../shared/data, and the
BGL-like and syslog-like fixtures of tests/data/layouts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synthlog.evaluate.fidelity import reference_from_dataset
from synthlog.evaluate.report import validate
from synthlog.io.datasets import data_root
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer

LAYOUTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "layouts"


def inputs(root: Path | None) -> list[tuple[str, dict]]:
    cases = [("bgl-like fixture", {"logs": LAYOUTS / "bgl_like.log", "sessions": "window:300",
                                   "line_labels": "Label:-"}),
             ("syslog-like fixture", {"logs": LAYOUTS / "syslog_like.log", "sessions": "entity:req-[0-9a-f]{8}"})]
    if root is not None:
        cases += [("hdfs loghub 2k", {"logs": root / "hdfs" / "loghub_2k" / "HDFS_2k.log", "log_format": "hdfs"}),
                  ("hdfs first 20k", {"logs": root / "hdfs" / "logai_hdfs_v1_first20k_raw" / "HDFS_20000.log",
                                      "log_format": "hdfs"}),
                  ("zookeeper 2k", {"logs": root / "zookeeper" / "loghub_2k" / "Zookeeper_2k.log",
                                    "sessions": "window:60"})]
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epsilon", type=float, default=None)
    args = parser.parse_args()
    for label, source in inputs(data_root()):
        real = load_logs(**source)
        reference = reference_from_dataset(real)
        events = sum(len(s) for s in real.sessions)
        files = [Path(source["logs"])]
        for seed in range(1, args.seeds + 1):
            t0 = time.perf_counter()
            spec, _ = profile_dataset(real, name=Path(source["logs"]).stem.split(".")[0].lower(),
                                      options=ProfileOptions(seed=seed, epsilon=args.epsilon))
            with tempfile.TemporaryDirectory() as tmp:
                StatsSynthesizer(spec).write(tmp, n_lines=events, seed=seed)
                result = validate(reference, tmp, seed=seed, reference_files=files)
            kinds = result["privacy"]["leakage"]["kinds"]
            shapes = result["value_shapes"]
            print(f"{label} seed={seed} eps={args.epsilon}: value_shape_agreement={_f(result['value_shape_agreement'])}"
                  f" (slots {shapes['slots_compared']}, lines on reference templates "
                  f"{shapes['lines_on_reference_templates']}, on others {shapes['lines_on_other_templates']})"
                  f" format_roundtrip={_f(result.get('format_roundtrip'))} time_order={_f(result.get('time_order'))}"
                  f" level_similarity={_f(result.get('level_similarity'))} templates={len(spec.messages())}"
                  f" leaked total={result['privacy']['leakage']['leaked_total']}"
                  f" secret={kinds['secret']['leaked']} rare={kinds['rare_token']['leaked']}"
                  f" examples={kinds['secret']['examples'][:2] + kinds['rare_token']['examples'][:2]}"
                  f" ({time.perf_counter() - t0:.1f}s)")


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
