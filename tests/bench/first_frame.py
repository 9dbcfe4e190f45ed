#!/usr/bin/env python3
"""Whole-process benchmark of the opsdeck console in a real pseudo-terminal.

Usage:
    cargo build --release
    python3 tests/bench/first_frame.py target/release/opsdeck [--runs 20] [--idle-secs 5]

Starts `<binary> --demo --seed 1` in an 80x24 pty (OPSDECK_HOME points at a fresh temp dir),
and measures, from just before fork():

  (a) first frame: arrival of the first byte written after entering the alternate screen
      (`ESC[?1049h`, plus the cursor hide sent with it), i.e. the first frame's output;
  (b) fleet shown: the output contains both `prod` and `Overview`;

over N runs (min / median / p95). Then, in one more run left alone:

  (c) bytes written per second over a window (the demo fleet is live: the simulator changes
      something every second, so this is not zero; it reports what the console really writes);
  (d) sends `q` and checks the process exits within 1 s (and restores the screen).

Python 3 standard library only. Every wait has a timeout; the child is killed on any failure.
Prints a markdown table. Exit status 0 when every run succeeded, 1 otherwise.
"""

import argparse
import errno
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

ALT_SCREEN = b"\x1b[?1049h"
HIDE_CURSOR = b"\x1b[?25l"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

CURSOR_MOVE = re.compile(rb"\x1b\[\d+;\d+H")

ROWS, COLS = 24, 80


class BenchError(Exception):
    pass


class Child:
    """The binary running in a fresh pty of ROWS x COLS; output is timestamped per read."""

    def __init__(self, binary, home, extra_env=None, argv=None, size=(ROWS, COLS)):
        """`argv` defaults to the demo (`--demo --seed 1`); `size` is (rows, cols)."""
        rows, cols = size
        self.chunks = []  # (perf_counter when read, bytes)
        self.buf = bytearray()
        env = dict(os.environ)
        env.update(
            {
                "OPSDECK_HOME": home,
                "TERM": "xterm-256color",
                "COLUMNS": str(cols),
                "LINES": str(rows),
            }
        )
        env.pop("NO_COLOR", None)
        env.pop("OPSDECK_CONFIG", None)
        env.update(extra_env or {})
        argv = argv or [binary, "--demo", "--seed", "1"]
        self.t0 = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before the program can ask for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.status = None

    def pump(self, timeout):
        """Read whatever arrives within `timeout` seconds. Returns False at EOF."""
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:  # EIO: the slave side closed (the child exited)
            if e.errno == errno.EIO:
                return False
            raise
        if not data:
            return False
        self.chunks.append((time.perf_counter(), data))
        self.buf += data
        return True

    def wait_for(self, predicate, timeout, what):
        deadline = time.perf_counter() + timeout
        while not predicate():
            left = deadline - time.perf_counter()
            if left <= 0:
                raise BenchError(f"timed out after {timeout:.1f}s waiting for {what}")
            if not self.pump(min(left, 0.05)) and not predicate():
                self.reap(0.2)
                raise BenchError(f"child exited ({self.describe_status()}) before {what}")

    def time_at(self, offset):
        """When the byte at `offset` of the output arrived, in seconds since fork."""
        seen = 0
        for t, data in self.chunks:
            seen += len(data)
            if offset < seen:
                return t - self.t0
        raise BenchError("offset past the output")

    def first_frame_offset(self):
        i = self.buf.find(ALT_SCREEN)
        if i < 0:
            return None
        j = i + len(ALT_SCREEN)
        if self.buf[j : j + len(HIDE_CURSOR)] == HIDE_CURSOR:
            j += len(HIDE_CURSOR)
        elif len(self.buf) - j < len(HIDE_CURSOR) and HIDE_CURSOR.startswith(bytes(self.buf[j:])):
            return None  # the cursor hide may still be on its way
        return j if len(self.buf) > j else None

    def text(self):
        return ANSI.sub(b"", bytes(self.buf))

    def reap(self, timeout):
        """Wait up to `timeout` s for the child to exit; True if it did."""
        deadline = time.perf_counter() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
                break
            if time.perf_counter() >= deadline:
                return False
            self.pump(0.01)  # keep draining so the child never blocks on a full pty
        return True

    def describe_status(self):
        if self.status is None:
            return "still running"
        if os.WIFEXITED(self.status):
            return f"exit {os.WEXITSTATUS(self.status)}"
        if os.WIFSIGNALED(self.status):
            return f"signal {os.WTERMSIG(self.status)}"
        return f"status {self.status}"

    def kill(self):
        if self.status is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    pass
                if self.reap(0.5):
                    break
        try:
            os.close(self.fd)
        except OSError:
            pass


def fleet_shown(child):
    t = child.text()
    return b"prod" in t and b"Overview" in t


def one_start(binary):
    """(first frame s, fleet shown s) for one start; the child is killed afterwards."""
    home = tempfile.mkdtemp(prefix="opsdeck-bench-")
    child = Child(binary, home)
    try:
        child.wait_for(lambda: child.first_frame_offset() is not None, 10, "the first frame")
        first = child.time_at(child.first_frame_offset())
        child.wait_for(lambda: fleet_shown(child), 10, "the fleet on screen")
        shown = child.chunks[-1][0] - child.t0
        return first, shown
    except BenchError as e:
        tail = child.text()[-300:].decode("utf-8", "replace").strip()
        raise BenchError(f"{e}; last output: {tail!r}") from None
    finally:
        child.kill()
        shutil.rmtree(home, ignore_errors=True)


def idle_and_quit(binary, idle_secs):
    home = tempfile.mkdtemp(prefix="opsdeck-bench-")
    child = Child(binary, home)
    try:
        child.wait_for(lambda: fleet_shown(child), 10, "the fleet on screen")
        # Let the start-up burst settle, then count.
        end_settle = time.perf_counter() + 1.0
        while time.perf_counter() < end_settle:
            if not child.pump(end_settle - time.perf_counter()):
                raise BenchError(f"child exited ({child.describe_status()}) while idle")
        start_len, start_t = len(child.buf), time.perf_counter()
        end = start_t + idle_secs
        while time.perf_counter() < end:
            if not child.pump(end - time.perf_counter()):
                raise BenchError(f"child exited ({child.describe_status()}) while idle")
        window = bytes(child.buf[start_len:])
        elapsed = time.perf_counter() - start_t
        idle = {
            "secs": elapsed,
            "bytes": len(window),
            "bytes_per_sec": len(window) / elapsed,
            # ratatui hides the cursor on every Terminal::draw, so this counts frames drawn.
            "frames": window.count(HIDE_CURSOR),
            # Frames whose diff was empty: nothing but the style reset and the cursor hide.
            "empty_frames": sum(
                1 for part in window.split(HIDE_CURSOR)[:-1] if not CURSOR_MOVE.search(part)
            ),
        }
        sent = time.perf_counter()
        os.write(child.fd, b"q")
        exited = child.reap(1.0)
        quit_s = time.perf_counter() - sent
        if exited:  # drain what is left (the screen restore)
            while child.pump(0.05):
                pass
        restored = LEAVE_ALT_SCREEN in bytes(child.buf)
        clean = exited and os.WIFEXITED(child.status) and os.WEXITSTATUS(child.status) == 0
        return idle, {
            "exited": exited,
            "clean": clean,
            "secs": quit_s,
            "status": child.describe_status(),
            "restored": restored,
        }
    finally:
        child.kill()
        shutil.rmtree(home, ignore_errors=True)


def percentile(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))
    return s[int(k)]


def ms(x):
    return f"{x * 1000:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", help="path to the release binary, e.g. target/release/opsdeck")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--idle-secs", type=float, default=5.0)
    ap.add_argument("--budget-ms", type=float, default=50.0, help="first-frame budget")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"not an executable: {binary}")

    firsts, showns, failures = [], [], []
    try:
        one_start(binary)  # warm the page cache; not counted
    except BenchError as e:
        print(f"the binary does not start as expected: {e}", file=sys.stderr)
        return 1
    for i in range(args.runs):
        try:
            f, s = one_start(binary)
            firsts.append(f)
            showns.append(s)
        except BenchError as e:
            failures.append(f"run {i + 1}: {e}")
    try:
        idle, quit_ = idle_and_quit(binary, args.idle_secs)
    except BenchError as e:
        failures.append(f"idle/quit: {e}")
        idle = quit_ = None

    print(f"opsdeck whole-process benchmark: `{os.path.basename(binary)} --demo --seed 1`, "
          f"{COLS}x{ROWS} pty, {len(firsts)}/{args.runs} runs ok\n")
    print("| measure | min | median | p95 | budget |")
    print("|---|---|---|---|---|")
    if firsts:
        for name, xs, budget in (
            ("(a) first frame bytes after `ESC[?1049h`", firsts, f"≤ {args.budget_ms:.0f} ms"),
            ("(b) fleet on screen (`prod` + `Overview`)", showns, f"≤ {args.budget_ms:.0f} ms"),
        ):
            print(f"| {name} | {ms(min(xs))} | {ms(statistics.median(xs))} | "
                  f"{ms(percentile(xs, 95))} | {budget} |")
    if idle:
        print(f"| (c) bytes written while left alone (live demo) | "
              f"{idle['bytes_per_sec']:.0f} B/s | {idle['bytes']} B in {idle['secs']:.1f} s | "
              f"{idle['frames']} frames, {idle['empty_frames']} with an empty diff | "
              f"0 B when nothing changes |")
    if quit_:
        verdict = "ok" if quit_["clean"] and quit_["restored"] else "FAILED"
        print(f"| (d) `q` → exit | {ms(quit_['secs'])} | {quit_['status']} | "
              f"screen restored: {'yes' if quit_['restored'] else 'no'} | ≤ 1 s: {verdict} |")
    if failures:
        print("\nfailures:")
        for f in failures:
            print(f"- {f}")
    ok = (not failures and quit_ is not None and quit_["clean"] and quit_["restored"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
