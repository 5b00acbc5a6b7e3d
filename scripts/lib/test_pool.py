#!/usr/bin/env python3
"""Runs integration test binaries side by side, a few at a time.

`cargo test` runs one test binary after the other, so a binary whose one test
waits two minutes on Flink keeps the others waiting. This runs the built
binaries directly (as `cargo test` would: from their package's directory, with
its CARGO_MANIFEST_DIR), LANES of them at once, the longest-known first, each
with the given test arguments. Each binary's output goes to a log that is
printed when the binary ends: in full when it failed, else its summary line.
Every binary runs even when one fails; the exit code is 1 when any failed.

Usage: test_pool.py [--lanes N] [--only a,b] [--except a,b] -- TEST_ARGS...
The binaries are the workspace's integration tests (`cargo test --test '*'`),
built first (no rebuild when up to date).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# Longest first (seconds measured in CI, 4 threads): the pool starts these
# before the short ones so no long one is left to run alone at the end.
LONGEST_FIRST = [
    "crash_points",
    "lambda_fanout",
    "watch",
    "health",
    "reconciler_kills",
    "high_availability",
    "rescale",
    "contract",
    "lifecycle",
    "python",
    "artifact_event",
    "upgrade",
    "events",
    "sql",
]


def binaries():
    """(name, executable, package directory) of every integration test binary."""
    out = subprocess.run(
        ["cargo", "test", "--workspace", "--locked", "--test", "*", "--no-run",
         "--message-format=json-render-diagnostics"],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
            continue
        if msg["target"]["kind"] != ["test"]:
            continue
        name = msg["target"]["name"]
        found[name] = (name, msg["executable"], os.path.dirname(msg["manifest_path"]))
    order = {n: i for i, n in enumerate(LONGEST_FIRST)}
    return sorted(found.values(), key=lambda b: (order.get(b[0], len(order)), b[0]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--except", dest="excluded", default="")
    parser.add_argument("test_args", nargs="*")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    excluded = {n for n in args.excluded.split(",") if n}
    chosen = [b for b in binaries()
              if (not only or b[0] in only) and b[0] not in excluded]
    missing = only - {b[0] for b in chosen}
    if missing:
        print(f"[pool] no such test binary: {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    logs = tempfile.mkdtemp(prefix="fjc-test-pool-")
    lock = threading.Lock()
    results = []
    started = time.monotonic()

    def run(binary):
        name, exe, cwd = binary
        env = dict(os.environ, CARGO_MANIFEST_DIR=cwd)
        log = os.path.join(logs, f"{name}.log")
        begin = time.monotonic()
        with open(log, "w") as f:
            code = subprocess.run([exe, *args.test_args], cwd=cwd, env=env,
                                  stdout=f, stderr=subprocess.STDOUT).returncode
        took = time.monotonic() - begin
        with open(log, errors="replace") as f:
            text = f.read()
        summary = [l for l in text.splitlines() if l.startswith("test result:")]
        with lock:
            results.append((name, code, took))
            print(f"[pool] {name}: {'ok' if code == 0 else 'FAILED'} in {took:.0f} s "
                  f"({summary[-1] if summary else 'no summary'})", flush=True)
            if code != 0:
                print(f"---- {name} output ----\n{text}---- end of {name} ----", flush=True)

    print(f"[pool] {len(chosen)} binaries, {args.lanes} at a time: "
          f"{' '.join(b[0] for b in chosen)}", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.lanes)) as pool:
        list(pool.map(run, chosen))
    failed = sorted(n for n, code, _ in results if code != 0)
    print(f"[pool] {len(results)} binaries in {time.monotonic() - started:.0f} s; "
          f"longest: " + ", ".join(f"{n} {t:.0f} s" for n, _, t in
                                   sorted(results, key=lambda r: -r[2])[:5]), flush=True)
    if failed:
        print(f"[pool] FAILED: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
