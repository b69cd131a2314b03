"""Start-up of a warm `uv run harness --help` against `uv run python -c pass` (the floor).

    python3 bench/startup.py [--rounds 15]

Alternates the commands (so machine load hits both alike), prints median and best wall time of
each, the difference, and whatever either wrote on stderr (a warm `uv run` must write nothing).
On a loaded machine wall time mostly measures waiting for a core: the CPU time (user + system of
the command and its children) is printed too.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "uv run python -c pass": [sys.executable, "-m", "uv", "run", "python", "-c", "pass"],
    "uv run harness --help": [sys.executable, "-m", "uv", "run", "harness", "--help"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    for cmd in COMMANDS.values():  # warm: the first call may install or compile
        subprocess.run(cmd, capture_output=True, check=True)
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    cpu: dict[str, list[float]] = {k: [] for k in COMMANDS}
    stderr: dict[str, set[str]] = {k: set() for k in COMMANDS}
    for i in range(args.rounds):
        order = list(COMMANDS) if i % 2 == 0 else list(reversed(COMMANDS))
        for name in order:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            p = subprocess.run(COMMANDS[name], capture_output=True, text=True, check=True)
            times[name].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if p.stderr.strip():
                stderr[name].add(p.stderr.strip())
    for name, ts in times.items():
        print(f"{name:24} wall median {statistics.median(ts):.3f} s, best {min(ts):.3f} s; "
              f"CPU median {statistics.median(cpu[name]):.3f} s, best {min(cpu[name]):.3f} s  ({len(ts)} runs)")
    base, ours = (times[k] for k in COMMANDS)
    print(f"difference: wall median {statistics.median(ours) - statistics.median(base):.3f} s, "
          f"best {min(ours) - min(base):.3f} s (goal <= 0.15 s)")
    base, ours = (cpu[k] for k in COMMANDS)
    print(f"difference: CPU median {statistics.median(ours) - statistics.median(base):.3f} s, "
          f"best {min(ours) - min(base):.3f} s")
    for name, errs in stderr.items():
        print(f"stderr of {name}: {' | '.join(sorted(errs)) if errs else '(nothing)'}")


if __name__ == "__main__":
    main()
