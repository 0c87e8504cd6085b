"""Pacing of a stream: `generate stats --formats otel --out - --rate R --follow` read for a while, then Ctrl-C.

Prints the achieved rate over the measured span (from the first line received to the last), its error against R,
and whether the generator stopped cleanly on SIGINT. Usage: python benchmarks/pacing.py [--rate 1000] [--seconds 10]
[--code]; ``--code`` streams `generate code` of the example block store (its recipe) instead of the payment spec.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "specs" / "payment.yaml"
BLOCKSTORE = ROOT / "examples" / "blockstore"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--code", action="store_true", help="stream generate code (the example block store)")
    args = parser.parse_args()
    source = (["code", str(BLOCKSTORE / "src"), "--recipe", str(BLOCKSTORE / "recipe.yaml")] if args.code
              else ["stats", str(SPEC)])
    proc = subprocess.Popen([sys.executable, "-m", "synthlog", "generate", *source, "--out", "-",
                             "--formats", "otel", "--rate", str(args.rate), "--follow"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    first = proc.stdout.readline()  # start-up (imports, compiling the spec) is not part of the pacing
    assert first, proc.stderr.read()
    start, count = time.monotonic(), 0
    while time.monotonic() - start < args.seconds:
        if not proc.stdout.readline():
            break
        count += 1
    elapsed = time.monotonic() - start
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    achieved = count / elapsed
    print(f"asked {args.rate:.0f} lines/s; received {count} lines in {elapsed:.2f} s = {achieved:.1f} lines/s "
          f"({100 * (achieved - args.rate) / args.rate:+.2f}%); exit code on SIGINT {proc.returncode}; "
          f"stderr: {err.strip().splitlines()[-1] if err.strip() else '(none)'}")


if __name__ == "__main__":
    main()
