#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then cargo test.
# This is the README's test command; .ci/run calls it unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

# The terminal-restoration tests drive the real binary inside tmux.
if ! have tmux; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "tests/run.sh: installing tmux (needed by tests/terminal_restore.rs)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
  else
    echo "tests/run.sh: the tests need tmux; install it (e.g. 'sudo apt-get install tmux') and run again" >&2
    exit 1
  fi
fi

# The AWS tests run moto (tests/support/aws/): python3 with venv and pip. The harness creates the
# virtualenv under the cargo target folder on first use (about a minute) and reuses it.
if ! have python3 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "tests/run.sh: installing python3-venv (needed by the AWS tests: moto)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  else
    echo "tests/run.sh: the AWS tests need python3 with venv and pip; install them (e.g. 'sudo apt-get install python3 python3-venv python3-pip') and run again" >&2
    exit 1
  fi
fi

# Keep cargo's own output, and close with one line that totals every test binary's results.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
