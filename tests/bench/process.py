#!/usr/bin/env python3
"""Whole-process benchmark of opsdeck on the L fleet, and side by side with kdash.

Usage (from the repository root; see docs/benchmarks.md):

    cargo build --release --bin opsdeck --example fake_fleet
    cargo install kdash --root target/kdash            # optional: the side-by-side part
    python3 tests/bench/process.py [--kdash target/kdash/bin/kdash] [--write-doc docs/benchmarks.md]

What it does (Python 3 standard library only; every wait has a timeout; every process it
starts is killed on the way out):

1. Starts `fake_fleet --size L` (one fake Kubernetes API server per cluster: 30 clusters,
   1,500 deployments, 20,000 pods) and reads its stdin/stdout control channel.
2. Runs `opsdeck --config DIR/config.toml` in a 200x50 pty and measures
   - first frame (first byte after entering the alternate screen), and the initial sync: every
     server has seen a WATCH of each of the 6 resources, and the screen went quiet;
   - resident memory (VmRSS, and the peak VmHWM) from /proc after the sync;
   - LIST and WATCH requests per resource per cluster at start (from the fake servers);
   - CPU (utime+stime from /proc/PID/stat) and bytes written to the pty while idle;
   - API requests per minute while idle;
   - bytes written when one value changes (a Deployment scaled on one server, Services screen);
   - key-to-frame latency while every backend hangs: a view switch ('1'/'2') is sent, and
     the time to the last byte of the frame it causes is taken (the frame's end is found by a
     quiet gap of --settle-ms, which is not counted).
3. With --kdash: the same one cluster (the first of L: 667 pods, 50 deployments) for opsdeck
   (`DIR/config-one.toml`) and kdash (`KUBECONFIG`, its current context): time until a known
   pod or deployment name is on screen, RSS, idle CPU, API requests per minute.
4. Prints a markdown report; with --write-doc replaces the generated section of that file
   (between `<!-- process.py:begin -->` and `<!-- process.py:end -->`), including the
   criterion figures found under target/criterion.

Exit status 0 when every step ran (budgets missed are reported, not failed), 1 otherwise.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from first_frame import BenchError, Child, percentile  # noqa: E402

ROWS, COLS = 50, 200
RESOURCES = ["deployments", "replicasets", "pods", "nodes", "horizontalpodautoscalers", "events"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
BEGIN, END = "<!-- process.py:begin -->", "<!-- process.py:end -->"


class Fleet:
    """The fake_fleet example: N fake API servers and their control channel."""

    def __init__(self, binary, size, workdir):
        self.dir = os.path.join(workdir, "fleet")
        self.proc = subprocess.Popen(
            [binary, "--size", size, "--dir", self.dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        line = self._line(300, "the fake fleet to start")
        words = line.split()
        if not words or words[0] != "ready":
            raise BenchError(f"fake_fleet said {line!r}")
        self.clusters, self.objects = int(words[1]), int(words[2])

    def _line(self, timeout, what):
        import select

        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise BenchError(f"timed out after {timeout}s waiting for {what}")
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"fake_fleet exited ({self.proc.poll()}) before {what}")
        return line.strip()

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = self._line(30, f"the answer to {command!r}")
        if reply.startswith("error"):
            raise BenchError(f"fake_fleet: {command!r}: {reply}")
        return reply

    def requests(self, cluster=None):
        return json.loads(self.ask("requests" if cluster is None else f"requests {cluster}"))

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def proc_status(pid):
    """VmRSS and VmHWM in MiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def cpu_secs(pid):
    """utime + stime of the process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def settle(child, quiet, timeout, what):
    """Pump until no output arrives for `quiet` seconds; returns when the last byte came."""
    deadline = time.perf_counter() + timeout
    last = time.perf_counter()
    seen = len(child.buf)
    while True:
        now = time.perf_counter()
        if now - last >= quiet:
            return last
        if now > deadline:
            raise BenchError(f"output did not settle within {timeout}s ({what})")
        if not child.pump(min(quiet, deadline - now)):
            raise BenchError(f"child exited ({child.describe_status()}) during {what}")
        if len(child.buf) != seen:
            seen = len(child.buf)
            last = child.chunks[-1][0]


def idle(child, secs):
    """CPU % and bytes written over `secs` seconds left alone."""
    start_len, cpu0, t0 = len(child.buf), cpu_secs(child.pid), time.perf_counter()
    end = t0 + secs
    while time.perf_counter() < end:
        if not child.pump(end - time.perf_counter()):
            raise BenchError(f"child exited ({child.describe_status()}) while idle")
    elapsed = time.perf_counter() - t0
    cpu = cpu_secs(child.pid) - cpu0
    return {
        "secs": elapsed,
        "cpu_pct": 100 * cpu / elapsed,
        "cpu_secs": cpu,
        "bytes": len(child.buf) - start_len,
    }


class Terminal(Child):
    """A child whose terminal answers cursor-position queries (`ESC[6n`), as a real one does:
    kdash (crossterm's `Terminal::new` with a viewport) exits when nobody answers."""

    def pump(self, timeout):
        seen = len(self.buf)
        alive = super().pump(timeout)
        # Look a little before the new bytes, in case a query was split between reads.
        asked = bytes(self.buf[max(0, seen - 3):]).count(b"\x1b[6n")
        for _ in range(asked):
            os.write(self.fd, b"\x1b[1;1R")
        return alive


def start_child(argv, home, env=None):
    return Terminal(argv[0], home, extra_env=env, argv=argv, size=(ROWS, COLS))


def first_frame_s(child, timeout=10):
    child.wait_for(lambda: child.first_frame_offset() is not None, timeout, "the first frame")
    return child.time_at(child.first_frame_offset())


def wait_synced(fleet, child, clusters, timeout):
    """Until every cluster's server saw a WATCH on each resource, then the screen is quiet."""
    deadline = time.perf_counter() + timeout
    while True:
        counts = fleet.requests()
        watching = [counts["watch"].get(r, 0) for r in RESOURCES]
        if all(w >= clusters for w in watching):
            break
        if time.perf_counter() > deadline:
            raise BenchError(f"no initial sync within {timeout}s: watches {dict(zip(RESOURCES, watching))}")
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            if not child.pump(end - time.perf_counter()):
                raise BenchError(f"child exited ({child.describe_status()}) during the sync")
    watched = time.perf_counter() - child.t0
    quiet_at = settle(child, 1.0, timeout, "the initial sync") - child.t0
    return watched, quiet_at, counts


# A frame is written in one flush (a few pty reads microseconds apart); a gap this long ends it.
FRAME_GAP_S = 0.010


def key_latency(child, fleet, presses, settle_ms):
    """Key → end of the frame it caused, with every backend hung.

    Returns (frame, quiet, first) per press: the end of the burst of output that starts with the
    first bytes after the key (the key's frame: a gap of FRAME_GAP_S ends it); the last byte
    before --settle-ms of quiet (an upper bound: it also takes in any other frame that follows
    within that gap, e.g. the once-a-second redraw of stale sources' ages); the first byte."""
    fleet.ask("hang on")
    try:
        settle(child, 1.0, 30, "before the key presses")
        lat, quiet, first = [], [], []
        keys = [b"1", b"2"]  # the run is on the Services screen by now
        for i in range(presses):
            before = len(child.buf)
            sent = time.perf_counter()
            os.write(child.fd, keys[i % 2])
            last = settle(child, settle_ms / 1000, 5, "a key's frame")
            if len(child.buf) == before:
                raise BenchError(f"key {keys[i % 2]!r} drew nothing")
            # The first chunk after `sent` that carries new bytes, and the end of its burst.
            times = sorted(t for t, _ in child.chunks if t >= sent)
            end = times[0]
            for t in times[1:]:
                if t - end >= FRAME_GAP_S:
                    break
                end = t
            lat.append(end - sent)
            quiet.append(last - sent)
            first.append(times[0] - sent)
            time.sleep(0.05)
        return lat, quiet, first
    finally:
        fleet.ask("hang off")


def quit_child(child):
    os.write(child.fd, b"q")
    exited = child.reap(2.0)
    return exited and child.status is not None and os.WIFEXITED(child.status) and os.WEXITSTATUS(child.status) == 0


def opsdeck_env(home):
    return {"OPSDECK_HOME": home}


def run_opsdeck_l(args, fleet, workdir):
    home = tempfile.mkdtemp(prefix="opsdeck-home-", dir=workdir)
    argv = [args.opsdeck, "--config", os.path.join(fleet.dir, "config.toml")]
    child = start_child(argv, home, opsdeck_env(home))
    try:
        r = {"first_frame_s": first_frame_s(child)}
        r["watched_s"], r["synced_s"], counts = wait_synced(fleet, child, fleet.clusters, 120)
        r["start_requests"] = counts
        time.sleep(1.0)
        r["mem"] = proc_status(child.pid)
        fleet.ask("clear")
        r["idle"] = idle(child, args.idle_secs)
        rest = idle(child, max(0.0, args.rpm_secs - args.idle_secs))
        window = r["idle"]["secs"] + rest["secs"]
        r["idle_requests"] = fleet.requests()
        r["rpm"] = r["idle_requests"]["total"] * 60 / window
        r["rpm_window_s"] = window
        r["mem_after_idle"] = proc_status(child.pid)
        # One value: the Services screen, then one Deployment scaled on one server.
        os.write(child.fd, b"2")
        settle(child, 1.0, 10, "the Services screen")
        before = len(child.buf)
        fleet.ask("scale 0 checkout checkout-api 99")
        t = time.perf_counter()
        while time.perf_counter() < t + 2.0:
            child.pump(t + 2.0 - time.perf_counter())
        r["one_change_bytes"] = len(child.buf) - before
        quiet = idle(child, 2.0)
        r["after_change_idle_bytes"] = quiet["bytes"]
        r["keys"], r["keys_quiet"], r["keys_first"] = key_latency(child, fleet, args.presses, args.settle_ms)
        r["quit_clean"] = quit_child(child)
        return r
    except BenchError as e:
        tail = child.text()[-400:].decode("utf-8", "replace").strip()
        raise BenchError(f"opsdeck on L: {e}; last output: {tail!r}") from None
    finally:
        child.kill()


def shown(child, needle):
    """Whether the screen text matches `needle` (a regular expression)."""
    return re.search(needle.encode(), child.text()) is not None


def run_one_cluster(name, argv, env, needle, fleet, args, workdir):
    """First useful frame, RSS, idle CPU and requests/min for one console on cluster 0."""
    home = tempfile.mkdtemp(prefix=f"{name}-home-", dir=workdir)
    env = dict(env, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    fleet.ask("clear")
    child = start_child(argv, home, env)
    try:
        r = {"first_frame_s": first_frame_s(child, 20)}
        child.wait_for(lambda: shown(child, needle), 60, f"{needle!r} on screen")
        r["useful_s"] = child.chunks[-1][0] - child.t0
        # Pumping (not sleeping): a console that keeps drawing must never block on the pty.
        idle(child, max(0.0, 5.0 - (time.perf_counter() - child.t0)))
        r["start_requests"] = fleet.requests(0)["total"]
        r["mem"] = proc_status(child.pid)
        fleet.ask("clear")
        r["idle"] = idle(child, args.idle_secs)
        rest = idle(child, max(0.0, args.rpm_secs - args.idle_secs))
        window = r["idle"]["secs"] + rest["secs"]
        counts = fleet.requests(0)
        r["rpm"] = counts["total"] * 60 / window
        r["idle_requests"] = counts
        r["mem_after_idle"] = proc_status(child.pid)
        return r
    except BenchError as e:
        tail = child.text()[-400:].decode("utf-8", "replace").strip()
        raise BenchError(f"{name}: {e}; last output: {tail!r}") from None
    finally:
        child.kill()


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])

    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": mem_kib / 1024 / 1024,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": cmd("git", "rev-parse", "--short", "HEAD") + (" (modified)" if cmd("git", "status", "--porcelain", "--untracked-files=no") else ""),
        "rustc": cmd("rustc", "--version"),
        "load": os.getloadavg(),
    }


def criterion_estimates(root):
    """{benchmark id: ns} from criterion's estimates (the slope when there is one, else the mean)."""
    out = {}
    for path in glob.glob(os.path.join(root, "**", "new", "estimates.json"), recursive=True):
        bench_dir = os.path.dirname(os.path.dirname(path))
        bench = os.path.join(bench_dir, "new", "benchmark.json")
        try:
            with open(path) as f:
                est = json.load(f)
            with open(bench) as f:
                name = json.load(f)["full_id"]
        except (OSError, KeyError, ValueError):
            continue
        pick = est.get("slope") or est["mean"]
        out[name] = pick["point_estimate"]
    return out


def breakdown(counts):
    """`{"list": .., "watch": ..}` counts as a short text."""
    parts = [f"{k} {n}" for k in ("get", "discovery", "other", "list_pages") if (n := counts.get(k))]
    for kind in ("list", "watch"):
        parts += [f"{kind.upper()} {res} {n}" for res, n in sorted(counts.get(kind, {}).items())]
    return ", ".join(parts) or "none"


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns:.0f} ns"


def ms(s):
    return f"{s * 1000:.1f} ms"


def verdict(ok):
    return "met" if ok else "**missed**"


def report(m, l_run, side, crit, args):
    lines = []
    add = lines.append
    add(f"Generated by `tests/bench/process.py` on {m['date']}, commit `{m['commit']}`.")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM, Linux {m['kernel']}, "
        f"{m['rustc']}; load average at the end {m['load'][0]:.2f} / {m['load'][1]:.2f} / {m['load'][2]:.2f} "
        "(the machine is shared: compare runs on the same machine only).")
    add("")
    if l_run:
        r = l_run
        lists = r["start_requests"]["list"]
        watches = r["start_requests"]["watch"]
        per = {res: (lists.get(res, 0), watches.get(res, 0)) for res in RESOURCES}
        # Events are watched with two field selectors (Warnings; opsdeck's own action Events):
        # one LIST per selector.
        one_list = all(n == args.clusters * (2 if res == "events" else 1) for res, (n, _) in per.items())
        keys = sorted(r["keys"])
        add(f"### Whole process on {args.size} ({args.clusters} fake API servers, {args.objects:,} objects; "
            f"{COLS}x{ROWS} pty)")
        add("")
        add("| measure | figure | budget |")
        add("|---|---|---|")
        add(f"| first frame | {ms(r['first_frame_s'])} | ≤ 50 ms: {verdict(r['first_frame_s'] <= 0.05)} |")
        add(f"| initial sync: every cluster watching all 6 resources / screen settled | "
            f"{r['watched_s']:.2f} s / {r['synced_s']:.2f} s | — |")
        add(f"| resident memory after the sync (VmRSS; peak VmHWM) | {r['mem']['VmRSS']:.0f} MiB "
            f"(peak {r['mem']['VmHWM']:.0f} MiB); after {r['rpm_window_s']:.0f} s idle "
            f"{r['mem_after_idle']['VmRSS']:.0f} MiB | ≤ 150 MB: {verdict(r['mem']['VmRSS'] * 1.048576 <= 150)} |")
        add(f"| requests at start, per resource (LIST / WATCH over {args.clusters} clusters) | "
            + ", ".join(f"{res} {n}/{w}" for res, (n, w) in per.items())
            + f" | one LIST per resource (events: per field selector) per cluster: {verdict(one_list)} |")
        i = r["idle"]
        add(f"| idle {i['secs']:.0f} s: CPU | {i['cpu_pct']:.2f} % ({i['cpu_secs']:.2f} s CPU) | < 1 %: {verdict(i['cpu_pct'] < 1)} |")
        add(f"| idle {i['secs']:.0f} s: bytes written to the terminal | {i['bytes']} B "
            f"({i['bytes'] / i['secs']:.1f} B/s) | 0 B/s: {verdict(i['bytes'] == 0)} |")
        add(f"| API requests per minute while idle, all 30 clusters | {r['rpm']:.1f} (over {r['rpm_window_s']:.0f} s: "
            f"{breakdown(r['idle_requests'])}) | watches only |")
        add(f"| bytes written when one Deployment is scaled (Services screen) | {r['one_change_bytes']} B; "
            f"then {r['after_change_idle_bytes']} B in 2 s | — |")
        quiet = sorted(r["keys_quiet"])
        add(f"| key → end of its frame with every backend hung ({len(keys)} view switches) | "
            f"p50 {ms(statistics.median(keys))}, p99 {ms(percentile(keys, 99))}, max {ms(keys[-1])} "
            f"(first byte p50 {ms(statistics.median(r['keys_first']))}, max {ms(max(r['keys_first']))}) "
            f"| p99 ≤ 16 ms: {verdict(percentile(keys, 99) <= 0.016)} |")
        add(f"| key → last byte before {args.settle_ms:.0f} ms of quiet (also takes in any frame that "
            f"follows within that gap) | p50 {ms(statistics.median(quiet))}, p99 {ms(percentile(quiet, 99))}, "
            f"max {ms(quiet[-1])} | — |")
        add(f"| `q` → clean exit | {'yes' if r['quit_clean'] else 'no'} | — |")
        add("")
    if side:
        add(f"### Side by side on one cluster ("
            f"{side['objects_one']}; {COLS}x{ROWS} pty)")
        add("")
        names = [n for n in ("opsdeck", "kdash") if n in side]
        add("| measure | " + " | ".join(names) + " |")
        add("|---|" + "---|" * len(names))
        rows = [
            ("first frame", lambda r: ms(r["first_frame_s"])),
            ("first useful frame (a known name on screen)", lambda r: ms(r["useful_s"])),
            ("resident memory after start (VmRSS; peak)",
             lambda r: f"{r['mem']['VmRSS']:.0f} MiB ({r['mem']['VmHWM']:.0f} MiB)"),
            ("resident memory after the idle minute", lambda r: f"{r['mem_after_idle']['VmRSS']:.0f} MiB"),
            (f"idle CPU ({args.idle_secs:.0f} s)", lambda r: f"{r['idle']['cpu_pct']:.2f} %"),
            (f"bytes written while idle ({args.idle_secs:.0f} s)", lambda r: f"{r['idle']['bytes']} B"),
            ("API requests in the first 5 s", lambda r: str(r["start_requests"])),
            ("API requests per minute while idle", lambda r: f"{r['rpm']:.1f}"),
            ("what they were", lambda r: breakdown(r["idle_requests"])),
        ]
        for label, f in rows:
            add(f"| {label} | " + " | ".join(f(side[n]) for n in names) + " |")
        if "kdash_note" in side:
            add("")
            add(side["kdash_note"])
        add("")
    if crit:
        add("### criterion (`cargo bench`; the slope estimate, or the mean)")
        add("")
        frames = {k: v for k, v in crit.items() if k.startswith("frame/")}
        views = []
        for k in frames:
            parts = k.split("/")
            if len(parts) == 4 and parts[2] not in views:
                views.append(parts[2])
        for fleet in ("S", "M", "L"):
            sizes = sorted({k.split("/")[3] for k in frames if k.split("/")[1] == fleet and len(k.split("/")) == 4},
                           key=lambda s: int(s.split("x")[0]))
            if not sizes:
                continue
            # Nothing changed since the previous frame (a key, a tick) at each size; then at
            # 200x50 a frame after one pod of one cluster changed, and one with nothing kept.
            columns = [(s, s) for s in sizes] + [("200x50/changed", "200x50, one pod changed"),
                                                 ("200x50/cold", "200x50, nothing kept")]
            add(f"Frames on {fleet}:")
            add("")
            add("| view | " + " | ".join(title for _, title in columns) + " |")
            add("|---|" + "---|" * len(columns))
            for v in views:
                cells = [fmt_ns(frames[f"frame/{fleet}/{v}/{c}"]) if f"frame/{fleet}/{v}/{c}" in frames else "—"
                         for c, _ in columns]
                add(f"| {v} | " + " | ".join(cells) + " |")
            add("")
        m200 = [v for k, v in frames.items() if k.startswith("frame/M/") and "/200x50" in k]
        if m200:
            add(f"Slowest frame at 200x50 on M, whatever changed before it: {fmt_ns(max(m200))} "
                f"(budget ≤ 2 ms: {verdict(max(m200) <= 2e6)}).")
            add("")
        others = {k: v for k, v in crit.items()
                  if not k.startswith("frame/") or not (k.count("/") == 3 or "/200x50/" in k)}
        if others:
            add("| benchmark | figure |")
            add("|---|---|")
            for k in sorted(others):
                v = others[k]
                extra = ""
                if k.startswith("ingest/pod_watch_events_to_state"):
                    extra = f" per 1,000 events → {1000 / (v / 1e9):,.0f} events/s (budget ≥ 20,000: {verdict(1000 / (v / 1e9) >= 20000)})"
                add(f"| {k} | {fmt_ns(v)}{extra} |")
            add("")
    return "\n".join(lines)


def write_doc(path, text):
    with open(path) as f:
        doc = f.read()
    block = f"{BEGIN}\n{text}\n{END}"
    # The markers on lines of their own (the prose may quote them).
    found = re.search(rf"^{re.escape(BEGIN)}$.*?^{re.escape(END)}$", doc, re.M | re.S)
    if found:
        doc = doc[: found.start()] + block + doc[found.end():]
    else:
        doc = doc.rstrip("\n") + "\n\n## Generated figures\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--opsdeck", default="target/release/opsdeck")
    ap.add_argument("--fake-fleet", default="target/release/examples/fake_fleet")
    ap.add_argument("--kdash", help="a kdash binary; without it the side-by-side part is skipped and says so")
    ap.add_argument("--size", default="L", choices=["XS", "M", "L"])
    ap.add_argument("--idle-secs", type=float, default=10.0)
    ap.add_argument("--rpm-secs", type=float, default=60.0, help="window for requests per minute")
    ap.add_argument("--presses", type=int, default=100)
    ap.add_argument("--settle-ms", type=float, default=50.0)
    ap.add_argument("--criterion", default="target/criterion")
    ap.add_argument("--write-doc", help="markdown file whose generated section to replace")
    args = ap.parse_args()
    for b in (args.opsdeck, args.fake_fleet):
        if not os.access(b, os.X_OK):
            sys.exit(f"not an executable: {b} (cargo build --release --bin opsdeck --example fake_fleet)")
    args.opsdeck, args.fake_fleet = os.path.abspath(args.opsdeck), os.path.abspath(args.fake_fleet)
    failures = []
    workdir = tempfile.mkdtemp(prefix="opsdeck-process-")
    fleet = None
    l_run, side = None, {}
    try:
        t = time.perf_counter()
        fleet = Fleet(args.fake_fleet, args.size, workdir)
        args.clusters, args.objects = fleet.clusters, fleet.objects
        print(f"fake fleet {args.size}: {fleet.clusters} servers, {fleet.objects} objects, "
              f"loaded in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        try:
            l_run = run_opsdeck_l(args, fleet, workdir)
        except BenchError as e:
            failures.append(str(e))
        side["objects_one"] = f"cluster 0 of the {args.size} fleet, the same objects as in the run above"
        try:
            side["opsdeck"] = run_one_cluster(
                "opsdeck",
                [args.opsdeck, "--config", os.path.join(fleet.dir, "config-one.toml")],
                {"OPSDECK_HOME": os.path.join(workdir, "one-home")},
                # The overview's cluster cell once its 50 deployments are in.
                r"svc \d+/50\b", fleet, args, workdir)
        except BenchError as e:
            failures.append(str(e))
        if args.kdash:
            kdash = os.path.abspath(args.kdash)
            try:
                side["kdash"] = run_one_cluster(
                    "kdash", [kdash],
                    {"KUBECONFIG": os.path.join(fleet.dir, "kubeconfig")},
                    # Its default screen lists pods: any generated pod name.
                    r"\b[a-z]+-[a-z]+-[b-df-hj-np-tv-z2-9]{10}-[b-df-hj-np-tv-z2-9]{5}\b", fleet, args, workdir)
            except BenchError as e:
                failures.append(str(e))
        else:
            side["kdash_note"] = "kdash was not run (no `--kdash`)."
    except BenchError as e:
        failures.append(str(e))
    finally:
        if fleet:
            fleet.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    crit = criterion_estimates(args.criterion) if os.path.isdir(args.criterion) else {}
    text = report(machine(), l_run, side if len(side) > 1 else None, crit, args)
    print(text)
    if failures:
        print("\nfailures:", file=sys.stderr)
        for f in failures:
            print(f"- {f}", file=sys.stderr)
    if args.write_doc and not failures:
        write_doc(args.write_doc, text)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
