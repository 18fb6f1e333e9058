#!/usr/bin/env bash
# Fuzzes the exported C functions (numcodecs::ffi) with cargo-fuzz/libFuzzer, one target after another.
#
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   smoke:          ./scripts/fuzz.sh 10                    (10 s per target: ~1 min once built; from a fresh
#                                                            clone ~6 min on 2 loaded cores: cargo-fuzz install
#                                                            ~1 min, fuzz crate build 3-4 min)
#   long campaign:  ./scripts/fuzz.sh 3600                  (an hour per target; the corpora grow across runs)
#   one target:     ./scripts/fuzz.sh 600 decode
#
# Targets (fuzz/fuzz_targets/, properties in fuzz/src/checks.rs): decode, roundtrip, config,
# blosc_helpers, items (the object codecs' item-list, flat and JSON-bridge functions). Needs the nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz, which
# this script installs (`cargo install cargo-fuzz --locked`) if it is missing. The first build of the
# fuzz crate compiles the C libraries with coverage instrumentation and AddressSanitizer: minutes.
#
# Before fuzzing, fuzz/seed.sh adds seeds from the numcodecs fixtures to fuzz/corpus/<target> (git-ignored;
# what the fuzzer found there is kept). Limits: every handle the targets create has a decoded-size limit
# of 16 MiB (numcodecs_codec_set_max_decoded_size; fuzz/src/checks.rs), so the decode target runs with
# -malloc_limit_mb=512: a single allocation over 512 MiB while decoding is one the limit failed to bound
# (liblzma's dictionary is capped at the limit plus 64 MiB), and is reported as a finding. The targets
# that encode get 2048 (the RSS limit): lzma preset 9 legitimately takes about 700 MiB to encode.

# Coverage guidance covers the Rust code only (ours, libbz2-rs-sys): the C libraries are built by GCC,
# which gets -fsanitize=address but has no libFuzzer coverage instrumentation, so zlib, xz, zstd, lz4 and
# c-blosc are exercised with ASan but their branches do not steer the fuzzer.
#
# Prints per target the executions, coverage (cov: edges, ft: features) and corpus size libFuzzer
# reports, and exits non-zero if any target crashed, failed an assertion, timed out or ran out of memory;
# the reproducer is in fuzz/artifacts/<target>/ (replay: cargo +nightly fuzz run -O TARGET FILE). Add it to
# tests/fuzz_regressions/<target>/ so tests/fuzz_regressions.rs replays it in the normal suite.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode roundtrip config blosc_helpers items)
case $seconds in ''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2;; esac

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is missing: rustup toolchain install nightly" >&2; exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked || exit 2
fi
fuzz/seed.sh || exit 2

# cargo-fuzz instruments the C libraries too (cc-rs passes rustc's -Zsanitizer=address on as GCC's
# -fsanitize=address), but GCC 12's use-after-scope instrumentation with LLVM's ASan runtime reports a
# read of a constant table in zstd_opt.c (ZSTD_selectBtGetAllMatches; the address is in the binary image,
# not on the stack) as stack-use-after-scope. Turn that one GCC check off; every other ASan check stays.
# .cargo/config.toml sets this variable for liblzma's feature macros and does not override it, so extend
# its value. Export the same when running `cargo +nightly fuzz run -O` by hand, or cargo rebuilds everything.
base_cflags=$(sed -n 's/^CFLAGS_x86_64_unknown_linux_gnu = "\(.*\)"$/\1/p' .cargo/config.toml)
export CFLAGS_x86_64_unknown_linux_gnu="${CFLAGS_x86_64_unknown_linux_gnu:-$base_cflags} -fno-sanitize-address-use-after-scope"
# One build for all targets (cheap when up to date). -O: fuzz/Cargo.toml's release profile, not cargo-fuzz's
# global -Cdebug-assertions, decides the checks (on everywhere but in pco's decoder; see fuzz/Cargo.toml).
cargo +nightly fuzz build -O || { echo "fuzz.sh: build failed" >&2; exit 2; }

logs=fuzz/logs
mkdir -p "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
  log=$logs/$target.log
  echo "==== $target: ${seconds}s ===="
  started=$(date +%s)
  malloc_limit_mb=2048
  [ "$target" = decode ] && malloc_limit_mb=512
  # NUMCODECS_FUZZ_SEED fixes libFuzzer's random seed (test.sh's smoke: the same mutations on every run).
  cargo +nightly fuzz run -O "$target" -- ${NUMCODECS_FUZZ_SEED:+-seed="$NUMCODECS_FUZZ_SEED"} \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb="$malloc_limit_mb" -timeout=30 -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - started ))
  # The last status line: "#N  DONE|pulse|NEW  cov: C ft: F corp: K/S ... exec/s: E".
  status_line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$status_line" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$status_line" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$status_line" | cut -d' ' -f2 || true)
  line="$target: ${elapsed}s, ${runs:-?} executions, cov ${cov:-?} edges, ft ${ft:-?}, corpus ${corp:-?}"
  if [ $rc -ne 0 ]; then
    failed=1
    reproducer=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //')
    kind=$(grep -oE 'SUMMARY: [^(]*' "$log" | tail -n 1)
    line="$line: FAILED (exit $rc; ${kind:-see $log}; reproducer ${reproducer:-none})"
    grep -E "panicked at|SUMMARY|ERROR: libFuzzer" "$log" | head -n 5
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "==== fuzz summary (logs in $logs/) ===="
printf '%s\n' "${summary[@]}"
exit $failed
