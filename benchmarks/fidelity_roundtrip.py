"""Profile real HDFS data, simulate the spec, validate against the real data: fidelity scores, leakage, DCR, timings.

Run: .venv/bin/python benchmarks/fidelity_roundtrip.py [--seeds 3] [--epsilon 1.0] [--min-sessions 5] [--only 20k]
Data sets: the first 20,000 raw HDFS_v1 lines (with block labels) and the HDFS_100k block sessions (template strings
only, no timestamps), both from ../shared/data. Each run generates as many lines as the real data has events.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from synthlog.evaluate.fidelity import reference_from_dataset
from synthlog.evaluate.report import validate
from synthlog.io.datasets import data_root
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer

METRICS = ("D_errdist", "C_temporal", "R_anomaly", "template_similarity", "transition_similarity")


def inputs(root: Path) -> list[tuple[str, dict, list[Path]]]:
    raw = root / "hdfs" / "logai_hdfs_v1_first20k_raw"
    return [
        ("hdfs-first20k (raw)", {"logs": raw / "HDFS_20000.log", "log_format": "hdfs",
                                 "labels": raw / "block_labels.csv"}, [raw / "HDFS_20000.log"]),
        ("hdfs-100k-sessions", {"logs": "hdfs-100k-sessions"}, []),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epsilon", type=float, action="append", default=None,
                        help="also profile with this epsilon (repeatable); exact counts are always run")
    parser.add_argument("--min-sessions", type=int, default=5, help="k of the profiler's release rules")
    parser.add_argument("--only", default="", help="run only the inputs whose label holds this text")
    args = parser.parse_args()
    root = data_root()
    if root is None:
        raise SystemExit("shared data not found (set SYNTHLOG_DATA)")
    for label, source, files in (case for case in inputs(root) if args.only in case[0]):
        started = time.perf_counter()
        real = load_logs(**source)
        reference = reference_from_dataset(real)
        events = sum(len(s) for s in real.sessions)
        print(f"\n== {label}: {len(real)} sessions, {events} events, "
              f"load+reference {time.perf_counter() - started:.1f}s")
        print(f"   reference: {len(reference.causal_pairs)} causal pairs, {len(reference.anomaly_types)} anomaly types")
        for epsilon in [None, *(args.epsilon or [])]:
            rows = []
            for seed in range(1, args.seeds + 1):
                t0 = time.perf_counter()
                spec, _ = profile_dataset(real, name="hdfs", options=ProfileOptions(epsilon=epsilon, seed=seed,
                                                                                    min_sessions=args.min_sessions))
                t1 = time.perf_counter()
                with tempfile.TemporaryDirectory() as tmp:
                    StatsSynthesizer(spec).write(tmp, n_lines=events, seed=seed)
                    t2 = time.perf_counter()
                    result = validate(reference, tmp, seed=seed, reference_files=files)
                    t3 = time.perf_counter()
                rows.append(result)
                leak = result["privacy"]["leakage"]["kinds"]
                dcr = result["privacy"]["dcr"]
                print(f"   eps={epsilon} seed={seed}: " + " ".join(f"{m}={_f(result[m])}" for m in METRICS)
                      + f" R(types>=2)={_f(result['anomaly_types']['R_anomaly_types_with_2_sessions'])}"
                      + f" C(real itself)={_f(result['causal_pairs'].get('reference_C_temporal'))}"
                      + f" value_shape_agreement={_f(result.get('value_shape_agreement'))}"
                      + f" | leaked ip={leak['ip']['leaked']}/{leak['ip']['real']}"
                      f" blk={leak['block_id']['leaked']}/{leak['block_id']['real']}"
                      f" secret={leak['secret']['leaked']} rare={leak['rare_token']['leaked']}"
                      f" total={result['privacy']['leakage']['leaked_total']}"
                      f" | DCR exact syn={dcr['synthetic_to_train']['exact_match_share']:.3f}"
                      f" holdout={dcr['holdout_to_train']['exact_match_share']:.3f}"
                      f" | profile {t1 - t0:.1f}s generate {t2 - t1:.1f}s validate {t3 - t2:.1f}s")
            if len(rows) > 1:
                print(f"   eps={epsilon} mean (sd) over {len(rows)} seeds: " + " ".join(
                    f"{m}={statistics.mean(r[m] for r in rows):.3f} ({statistics.stdev(r[m] for r in rows):.3f})"
                    for m in METRICS if all(r[m] is not None for r in rows)))


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
