"""Time ``simulate_survey``: prints JSON {"n", "seconds", "galaxies_per_s", ...}.

Usage: ``python bench/simulate_speed.py [--n 2000] [--workers 2] [--size 128] [--seed 0]``;
``--n 10000`` gives the figure the speed target is about (10,000 in <= 60 s on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

from oddfinder.survey.simulate import simulate_survey


def _cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        simulate_survey(
            out, args.n, seed=args.seed, size=args.size, workers=args.workers, progress=False
        )
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "n": args.n,
                "size": args.size,
                "workers": args.workers,
                "seconds": round(seconds, 2),
                "galaxies_per_s": round(args.n / seconds, 1),
                # CPU time of this process and its workers: the wall time on an idle machine
                # is about this over the worker count, plus start-up.
                "cpu_seconds": round(_cpu_seconds() - cpu_before, 2),
                "cpus": os.cpu_count(),
                "load_1min_before": round(load_before, 2),
                "load_1min_after": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
