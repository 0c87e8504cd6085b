"""A fitted code synthesizer saved and loaded: fit time, save and load time, file size, and whether the loaded
model writes the same bytes.

    python benchmarks/model_file.py SRC --recipe FILE [--align-to T.csv] [-n 2000] [--seed 5]

    # the reference case
    python benchmarks/model_file.py /work/ext/hadoop-0.18.2/src --recipe recipes/hdfs-0.18.yaml -n 2000

Fits once, saves to a temporary JSON file, loads it, then writes ``n`` sessions with the original and with the
loaded model and compares every file of the two data sets byte by byte.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--align-to")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    synth = CodeSynthesizer(CodeGenConfig(recipe=args.recipe, align_to=args.align_to)).fit(args.src)
    fitted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        saved = synth.save(folder / "model.json")
        written = time.perf_counter()
        loaded = CodeSynthesizer.load(saved)
        read = time.perf_counter()
        synth.write(folder / "original", args.n, seed=args.seed)
        loaded.write(folder / "loaded", args.n, seed=args.seed)
        names = sorted(p.name for p in (folder / "original").iterdir())
        differ = [n for n in names if (folder / "original" / n).read_bytes() != (folder / "loaded" / n).read_bytes()]
        print(f"fit {fitted - start:.1f} s; save {written - fitted:.2f} s, {saved.stat().st_size / 1e6:.2f} MB; "
              f"load {read - written:.2f} s")
        print(f"{args.n} sessions, seed {args.seed}: {len(names) - len(differ)} of {len(names)} files identical"
              + (f"; differ: {', '.join(differ)}" if differ else ""))


if __name__ == "__main__":
    main()
