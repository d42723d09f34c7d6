"""A ParallelFor over 10,000 items (a trivial task each) + Collected: Sluice must finish it.

    python bench/big_loop.py [--items 10000] [--kfp-items 0]

kfp.local takes about half a second a task, so it is timed on ``--kfp-items`` items only (0: skipped).
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compile_with_kfp, time_kfp_local, time_sluice
from fan_out import make_fan_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--kfp-items", type=int, default=0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        compiled = compile_with_kfp(make_fan_out(options.items), Path(folder))
        print(f"ParallelFor of {options.items} items + Collected ({options.items + 1} tasks)")
        print(time_sluice("sluice", compiled, options.items + 1).line())
    if options.kfp_items:
        label = f"kfp.local ({options.kfp_items} items)"
        print(time_kfp_local(label, make_fan_out(options.kfp_items), options.kfp_items + 1).line())


if __name__ == "__main__":
    main()
