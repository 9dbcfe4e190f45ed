#!/usr/bin/env python3
"""Soak: opsdeck in a real pty against a fake cluster under constant churn; RSS sampled.

    python3 tests/bench/soak.py [--duration 3600] [--every 10] [--binary target/release/opsdeck]
                                [--churn-every 0.5] [--demo]

Starts the tests' fake Kubernetes API server (`cargo run --example fake_kube`, built first),
points opsdeck at it through a generated opsdeck.toml, and churns the cluster with kubectl:
the Deployments are scaled up and down and the Pods re-annotated, so every watch streams
constant changes. `--demo` soaks the embedded demo fleet instead (its simulator churns by
itself). opsdeck runs in a pty of 200x50 whose output is read and thrown away, as a terminal
would. Every `--every` seconds the script samples opsdeck's RSS (/proc/PID/status VmRSS).

At the end it prints the samples, the RSS growth over the run, and the least-squares slope over
the second half (after caches, history buffers and allocator pools have filled): a leak shows
as a slope that stays positive however long the run. Exit 1 if opsdeck died.
"""

import argparse
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def slope_per_min(points):
    """Least-squares slope of (seconds, KiB) points, in KiB per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    if den == 0:
        return 0.0
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / den


def start_fake(target_dir):
    """Build and start the fake API server; returns (process, kubeconfig path)."""
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    subprocess.run(["cargo", "build", "--quiet", "--example", "fake_kube"], cwd=ROOT, env=env, check=True)
    exe = os.path.join(target_dir, "debug", "examples", "fake_kube")
    proc = subprocess.Popen([exe], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    kubeconfig = None
    for line in proc.stdout:
        if "--kubeconfig" in line:
            kubeconfig = line.split("--kubeconfig")[1].split()[0]
            break
    if not kubeconfig:
        proc.kill()
        sys.exit("soak: the fake API server did not print its kubeconfig")
    return proc, kubeconfig


def write_config(home, kubeconfig):
    path = os.path.join(home, "opsdeck.toml")
    with open(path, "w") as f:
        f.write(
            'regions = ["eu-west-1"]\n[fleet]\nname = "soak"\n'
            '[[environments]]\nname = "prod"\nproduction = true\n'
            '[[environments.clusters]]\nname = "fake"\nregion = "eu-west-1"\n'
            f"kubeconfig = {json.dumps(kubeconfig)}\ncontext = \"fake\"\n"
        )
    return path


class Churn:
    """kubectl against the fake: scale the Deployments, re-annotate the Pods, round-robin."""

    def __init__(self, kubeconfig):
        self.kubectl = shutil.which("kubectl") or sys.exit("soak: kubectl is needed for the churn")
        self.base = [self.kubectl, "--kubeconfig", kubeconfig, "--cache-dir",
                     os.path.join(os.path.dirname(kubeconfig), "cache")]
        self.n = 0
        self.commands = 0

    def step(self):
        self.n += 1
        replicas = 2 + self.n % 5
        if self.n % 2:
            ns = ("payments", "storefront")[self.n // 2 % 2]
            cmd = ["scale", "deploy", "--all", "-n", ns, f"--replicas={replicas}"]
        else:
            cmd = ["annotate", "pods", "--all", "-A", "--overwrite", f"soak/n={self.n}"]
        done = subprocess.run(self.base + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"soak: kubectl {' '.join(cmd)} failed: {done.stderr.strip()}")
        self.commands += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=3600, help="seconds (default 3600)")
    ap.add_argument("--every", type=float, default=10, help="RSS sample interval, seconds")
    ap.add_argument("--churn-every", type=float, default=0.5, help="seconds between kubectl changes")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "opsdeck"))
    ap.add_argument("--demo", action="store_true", help="soak the demo fleet instead of a fake cluster")
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"soak: no binary at {args.binary}; build it (cargo build --release) or pass --binary")
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    home = tempfile.mkdtemp(prefix="opsdeck-soak-")
    fake = churn = None
    if args.demo:
        argv = [args.binary, "--demo"]
    else:
        fake, kubeconfig = start_fake(target_dir)
        churn = Churn(kubeconfig)
        argv = [args.binary, "--config", write_config(home, kubeconfig)]

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["OPSDECK_HOME"] = home
        os.environ.pop("OPSDECK_CONFIG", None)
        os.execv(args.binary, argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    os.kill(pid, signal.SIGWINCH)

    start = time.monotonic()
    next_sample = start
    next_churn = start + 2
    samples = []
    out_bytes = 0
    died = False
    try:
        while time.monotonic() - start < args.duration:
            now = time.monotonic()
            if now >= next_sample:
                try:
                    samples.append((now - start, rss_kib(pid)))
                except FileNotFoundError:
                    died = True
                    break
                t, v = samples[-1]
                print(f"  t={t:7.0f}s  rss={v / 1024:7.1f} MiB", flush=True)
                next_sample += args.every
            if churn and now >= next_churn:
                churn.step()
                next_churn = time.monotonic() + args.churn_every
            wait = max(0.0, min(next_sample, next_churn if churn else next_sample) - time.monotonic())
            r, _, _ = select.select([fd], [], [], min(wait, 0.2))
            if r:
                try:
                    out_bytes += len(os.read(fd, 1 << 16))
                except OSError:
                    died = True
                    break
            if os.waitpid(pid, os.WNOHANG)[0] != 0:
                died = True
                break
    finally:
        if not died:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        if fake:
            fake.kill()
            fake.wait()
        # The console's own count of frames and messages: proof the churn reached it.
        stopped = ""
        log = os.path.join(home, "data", "opsdeck.log")
        if os.path.exists(log):
            with open(log) as f:
                stopped = next((l.strip() for l in f if "console stopped" in l), "")
        shutil.rmtree(home, ignore_errors=True)

    if died:
        print("soak: opsdeck died during the run", file=sys.stderr)
        sys.exit(1)
    first, last = samples[0][1], samples[-1][1]
    peak = max(v for _, v in samples)
    second_half = [p for p in samples if p[0] >= samples[-1][0] / 2]
    print(f"duration {samples[-1][0]:.0f}s, {len(samples)} samples, "
          f"{churn.commands if churn else 0} kubectl changes, {out_bytes / 1e3:.0f} kB drawn")
    print(f"opsdeck's log: {stopped or '(no summary line)'}")
    print(f"rss first {first / 1024:.1f} MiB, last {last / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB")
    print(f"slope over the whole run {slope_per_min(samples):+.1f} KiB/min, "
          f"over the second half {slope_per_min(second_half):+.1f} KiB/min")


if __name__ == "__main__":
    main()
