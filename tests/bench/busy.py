#!/usr/bin/env python3
"""Busy-fleet benchmark (issue 16, item 5): opsdeck's CPU while pods change.

Usage (from the repository root; see docs/benchmarks.md):

    cargo build --release --bin opsdeck --example fake_fleet
    python3 tests/bench/busy.py [--size B] [--rates 0,100,200] [--secs 10] [--view 2]

Starts `fake_fleet --size B` (20 fake API servers, 1,000 pods each), runs `opsdeck --config
DIR/config.toml` in a 200x50 pty, waits for the initial sync, opens a screen (`--view`, a key:
`2` Services by default; `1` the overview), then for each rate asks the fake fleet for that many
pod updates a second (`churn RATE`: a pod's first container restarts once more, one MODIFIED
watch event each, spread over every cluster) and measures, after 2 s of warm-up, over `--secs`:
CPU (utime+stime from /proc/PID/stat), bytes written to the terminal, and the updates the fleet
really made. Prints a markdown table. Python 3 standard library only.
"""

import argparse
import os
import sys
import tempfile
import time
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from first_frame import BenchError  # noqa: E402
from process import Fleet, first_frame_s, idle, settle, start_child, wait_synced, quit_child, machine  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--opsdeck", default="target/release/opsdeck")
    ap.add_argument("--fake-fleet", default="target/release/examples/fake_fleet")
    ap.add_argument("--size", default="B", choices=["XS", "M", "L", "B"])
    ap.add_argument("--rates", default="0,100,200")
    ap.add_argument("--secs", type=float, default=10.0)
    ap.add_argument("--view", default="2", help="the key that opens the screen to watch")
    ap.add_argument("--max-fps", type=int, help="run opsdeck with this `ui.max_fps`")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    workdir = tempfile.mkdtemp(prefix="opsdeck-busy-")
    fleet = child = None
    rows = []
    try:
        fleet = Fleet(os.path.abspath(args.fake_fleet), args.size, workdir)
        home = tempfile.mkdtemp(prefix="opsdeck-home-", dir=workdir)
        config = os.path.join(fleet.dir, "config.toml")
        if args.max_fps:
            with open(config) as f:
                text = f.read()
            with open(config, "w") as f:
                f.write(text + f"\n[ui]\nmax_fps = {args.max_fps}\n")
        argv = [os.path.abspath(args.opsdeck), "--config", config]
        child = start_child(argv, home, {"OPSDECK_HOME": home})
        first_frame_s(child)
        wait_synced(fleet, child, fleet.clusters, 180)
        os.write(child.fd, args.view.encode())
        settle(child, 1.0, 20, "the screen")
        for rate in rates:
            fleet.ask(f"churn {rate}")
            idle(child, 2.0)
            before = int(fleet.ask("churned").split()[1])
            m = idle(child, args.secs)
            after = int(fleet.ask("churned").split()[1])
            real = (after - before) / m["secs"] if rate else 0.0
            if real < 0.9 * rate:
                raise BenchError(f"asked for {rate} pod updates/s, the fake fleet made {real:.0f}/s")
            rows.append((rate, real, m))
            print(f"rate {rate}: {m['cpu_pct']:.1f} % CPU, {m['bytes'] / m['secs']:.0f} B/s", file=sys.stderr)
        fleet.ask("churn 0")
        quit_child(child)
    except BenchError as e:
        sys.exit(f"busy.py: {e}")
    finally:
        if child:
            child.kill()
        if fleet:
            fleet.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    m = machine()
    load = " / ".join(f"{x:.2f}" for x in m["load"])
    print(f"`tests/bench/busy.py` on {m['date']}, commit `{m['commit']}`; {m['cpu']}, "
          f"{m['cores']} cores, load average at the end {load}. Fleet {args.size}: "
          f"{fleet.clusters} clusters, {fleet.objects} objects; screen key `{args.view}`, "
          f"200x50; {args.secs:.0f} s per rate.\n")
    print("| pod updates/s asked (made) | CPU | bytes to the terminal |")
    print("|---|---|---|")
    for rate, real, m in rows:
        print(f"| {rate} ({real:.0f}) | {m['cpu_pct']:.1f} % | {m['bytes'] / m['secs']:.0f} B/s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
