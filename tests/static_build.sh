#!/usr/bin/env bash
# Builds the static x86_64 Linux binary (docs/install.md) and proves it is one: no program
# interpreter, no shared library, and it runs `--version` and `snapshot` of the demo fleet inside
# an empty root directory that holds nothing but the binary.
#
# Slow (a release build for another target: ~16 CPU-minutes from nothing), so it is not part of
# tests/run.sh; run it by hand or in a release job: `bash tests/static_build.sh`.
# It never skips: whatever is missing is installed, or it fails and says what to run.
# Exit status: 0 when every check passed, 1 on the first failure (the message says which).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
me="tests/static_build.sh"
fail() {
  echo "$me: FAILED: $*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { [ "$(id -u)" = 0 ]; }

# Prerequisites: the Rust target (musl's libc and start files come with it) and a C compiler
# for musl (the TLS library's C and assembly sources: aws-lc-sys).
have cargo || fail "cargo is not on PATH; install Rust (rustup) first"
have rustup || fail "rustup is not on PATH; it installs the $target target"
if ! rustup target list --installed | grep -qx "$target"; then
  echo "$me: installing the Rust target $target"
  rustup target add "$target" || fail "could not install the target; run 'rustup target add $target'"
fi
if ! have musl-gcc; then
  if as_root && have apt-get; then
    echo "$me: installing musl-tools (musl-gcc, the C compiler for musl)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools; } >/dev/null ||
      fail "could not install musl-tools; run 'sudo apt-get install musl-tools'"
  else
    fail "musl-gcc is missing; install it (e.g. 'sudo apt-get install musl-tools') and run again"
  fi
fi
have readelf || fail "readelf is missing; install binutils (e.g. 'sudo apt-get install binutils')"

echo "$me: building opsdeck for $target (release)"
start=$(date +%s)
nice -n 10 cargo build --locked --release --target "$target" --bin opsdeck ||
  fail "the build failed (command: cargo build --locked --release --target $target)"
echo "$me: built in $(($(date +%s) - start)) s"
bin="${CARGO_TARGET_DIR:-target}/$target/release/opsdeck"
[ -x "$bin" ] || fail "no binary at $bin after the build"
echo "$me: $bin is $(stat -c %s "$bin") bytes"

# Static: no program interpreter (ld-linux), no NEEDED shared library.
headers="$(readelf --program-headers --dynamic "$bin")" || fail "readelf could not read $bin"
if grep -q 'INTERP' <<<"$headers"; then
  fail "$bin asks for a program interpreter, it is not static: $(grep -A1 INTERP <<<"$headers")"
fi
if grep -q '(NEEDED)' <<<"$headers"; then
  fail "$bin needs shared libraries, it is not static: $(grep '(NEEDED)' <<<"$headers")"
fi
if have file; then
  desc="$(file -b "$bin")"
  echo "$me: file: $desc"
  case "$desc" in
  *"statically linked"* | *"static-pie linked"*) ;;
  *) fail "file(1) does not call $bin static: $desc" ;;
  esac
fi
if have ldd; then
  # glibc's ldd exits 1 on a static binary; what it prints is what counts.
  out="$(ldd "$bin" 2>&1 || true)"
  echo "$me: ldd: $out"
  case "$out" in
  *"not a dynamic executable"* | *"statically linked"*) ;;
  *) fail "ldd lists libraries for $bin: $out" ;;
  esac
fi
echo "$me: static: no INTERP, no NEEDED"

# Run it where there is nothing else: an empty root holding only the binary and a home folder.
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home"
cp "$bin" "$root/opsdeck"
if as_root; then
  jail=("$(command -v chroot)" "$root")
elif have unshare && unshare --user --map-root-user true 2>/dev/null; then
  jail=("$(command -v unshare)" --user --map-root-user "$(command -v chroot)" "$root")
else
  fail "running the binary in an empty root needs root or user namespaces ('unshare --user'); run as root"
fi
run() { env -i OPSDECK_HOME=/home "${jail[@]}" /opsdeck "$@"; }

version="$(run --version)" || fail "'opsdeck --version' failed in the empty root"
expected="opsdeck $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
[ "$version" = "$expected" ] || fail "'opsdeck --version' printed '$version', expected '$expected'"
echo "$me: --version: $version"

json="$root/snapshot.json"
run snapshot --demo --seed 5 --format json >"$json" ||
  fail "'opsdeck snapshot --demo --seed 5 --format json' failed in the empty root"
have python3 || fail "python3 is needed to read the snapshot's JSON; install python3"
python3 - "$json" <<'EOF' || fail "the JSON snapshot is not the demo fleet (see above)"
import json, sys
v = json.load(open(sys.argv[1]))
problems = []
if v.get("fleet") != "acme-demo":
    problems.append(f"fleet is {v.get('fleet')!r}, expected 'acme-demo'")
if len(v.get("cells", [])) != 6:
    problems.append(f"{len(v.get('cells', []))} cells, expected 6")
if len(v.get("services", [])) < 30:
    problems.append(f"{len(v.get('services', []))} services, expected at least 30")
if len(v.get("gates", [])) != 1:
    problems.append(f"{len(v.get('gates', []))} gates, expected 1")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"tests/static_build.sh: snapshot: {v['fleet']}, {len(v['cells'])} cells, "
      f"{len(v['services'])} services, {len(v['gates'])} gate")
EOF

table="$(run snapshot --demo --seed 5 --ticks 30)" ||
  fail "'opsdeck snapshot --demo --seed 5 --ticks 30' failed in the empty root"
for want in "prod/eu-west-1 (prod)" "GATES WAITING" "checkout-api"; do
  grep -qF "$want" <<<"$table" || fail "the table snapshot lacks '$want':
$table"
done
echo "$me: snapshot table: $(wc -l <<<"$table") lines"

echo "$me: passed: $bin is static and runs on its own"
