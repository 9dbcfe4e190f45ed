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

cargo test --locked "$@"
