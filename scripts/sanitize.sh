#!/usr/bin/env bash
# Memory and thread checks of libnumcodecs through its C API (not part of scripts/test.sh: slower, and
# meant for changes to the FFI layer, the sys wrappers or the C tests).
#
#   scripts/sanitize.sh              ASan+UBSan, ThreadSanitizer and valgrind runs of the C tests
#   scripts/sanitize.sh --rust-asan  also: the library itself built with -Zsanitizer=address (nightly)
#   scripts/sanitize.sh --miri       also: the pure-Rust tests under miri (nightly + miri)
#
# Sections:
#   library    the release library, built and installed the way scripts/test.sh does it (same CMake
#              build directory, build-tests/lib, so running one script after the other is incremental)
#   asan       the library built again with its C code (zlib, zstd, lz4, xz, c-blosc: everything the
#              cc crate compiles) instrumented by CFLAGS=-fsanitize=address,undefined, and tests/c
#              (test_capi, test_hpp, test_threads, header_cxx; shared and static) compiled with the same
#              flags and run through ctest; any report is fatal
#   tsan       the same with -fsanitize=thread, running tests/c/test_threads.c, shared and static
#   valgrind   the memcheck tests of tests/c/CMakeLists.txt (ctest -L memcheck) against the plain
#              library; scripts/test.sh runs these same tests as part of its ctest run
#
# What the sanitizers see: the C test programs and the C compression libraries are instrumented; the
# Rust code is not (that needs nightly: --rust-asan). The Rust code's calls to memcpy/memmove/memset and
# malloc/free are intercepted, though, and LeakSanitizer sees every allocation, so a library write past a
# caller's dst_cap, a leak, or a caller freeing a library buffer with free() are all caught. Without
# --rust-asan, a stray store in a Rust loop is seen only by valgrind. The instrumented builds have their
# own cargo target directories, build-sanitize/c-asan and c-tsan (about 3 minutes each the first time).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-sanitize
prefix=$build/prefix
jobs=$(nproc 2>/dev/null || echo 2)
rust_asan=0
miri=0
for arg in "$@"; do
  case $arg in
    --rust-asan) rust_asan=1 ;;
    --miri) miri=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (see $0 --help)" >&2; exit 2 ;;
  esac
done
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

if [ -t 1 ]; then bold=$'\e[1m'; red=$'\e[31m'; green=$'\e[32m'; reset=$'\e[0m'; else bold= red= green= reset=; fi
results=()
failures=0

# run_section NAME FUNCTION: as in scripts/test.sh (a subshell with set -e, outcome and duration recorded).
run_section() {
  local name=$1 function=$2 start rc seconds
  printf '\n%s==== %s ====%s\n' "$bold" "$name" "$reset"
  start=$(date +%s)
  ( set -e; "$function" )
  rc=$?
  seconds=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    results+=("PASS  ${seconds}s  $name")
    printf '%s---- %s: passed (%ss)%s\n' "$green" "$name" "$seconds" "$reset"
  else
    results+=("FAIL  ${seconds}s  $name")
    failures=$((failures + 1))
    printf '%s---- %s: FAILED (exit %s, %ss)%s\n' "$red" "$name" "$rc" "$seconds" "$reset"
  fi
  return $rc
}

# Every sanitizer finding ends the program with a non-zero status, with a stack trace. Leaks are
# checked at exit (detect_leaks). abort_on_error=0 keeps the exit status (not SIGABRT) for ctest.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
export LSAN_OPTIONS=print_suppressions=0

# ---- sections -------------------------------------------------------------------------------------

library() {
  cmake -S "$root" -B "$root/build-tests/lib" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build "$root/build-tests/lib" --parallel "$jobs"
  rm -rf "$prefix"
  cmake --install "$root/build-tests/lib" --prefix "$prefix"
}

# instrumented_library NAME CFLAGS: the library with its C dependencies compiled with CFLAGS (the cc
# crate reads them), installed into build-sanitize/prefix-NAME. CMake's own configure checks see the
# flags too, which is harmless: it compiles no C of its own.
instrumented_library() {
  local name=$1 cflags=$2
  CFLAGS="$cflags" cmake -S "$root" -B "$build/lib-$name" -DCMAKE_INSTALL_LIBDIR=lib \
    -DNUMCODECS_CARGO_TARGET_DIR="$build/c-$name/cargo"
  CFLAGS="$cflags" cmake --build "$build/lib-$name" --parallel "$jobs"
  rm -rf "$build/prefix-$name"
  cmake --install "$build/lib-$name" --prefix "$build/prefix-$name"
}

# configure_tests DIR PREFIX EXTRA_CMAKE_ARGS...: tests/c against the library installed in PREFIX.
configure_tests() {
  local dir=$1 against=$2
  shift 2
  # numcodecs_DIR too: find_package caches it, and CMAKE_PREFIX_PATH alone would not move an existing
  # build directory to another library.
  cmake -S "$root/tests/c" -B "$dir" -DCMAKE_PREFIX_PATH="$against" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -Dnumcodecs_DIR="$against/lib/cmake/numcodecs" -DCMAKE_BUILD_TYPE=Debug "$@"
}

asan() {
  # -O1 keeps the programs fast enough; -fno-sanitize-recover makes every UBSan finding in the tests
  # fatal (UBSAN_OPTIONS=halt_on_error does it for the library's C code).
  local flags="-fsanitize=address,undefined -fno-omit-frame-pointer -g"
  # GCC 12 reports a read of the const table in zstd's ZSTD_selectBtGetAllMatches (zstd_opt.c), which it
  # turned into a global, as stack-use-after-scope (a known GCC false positive: the report itself says
  # the address is "inside of global variable 'getAllMatchesFns'"). c-blosc's blosclz reads unaligned
  # 32-bit words on purpose on x86 (BLOSCLZ_READU32 without BLOSC_STRICT_ALIGN), so UBSan's alignment
  # check is off for the library's C code too. Both checks stay on for the tests themselves.
  instrumented_library asan "$flags -fno-sanitize-address-use-after-scope -fno-sanitize=alignment"
  flags="$flags -fno-sanitize-recover=all -O1"
  configure_tests "$build/asan" "$build/prefix-asan" -DNUMCODECS_TEST_MEMCHECK=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
  cmake --build "$build/asan" --parallel "$jobs"
  (cd "$build/asan" && ctest --output-on-failure)
}

tsan() {
  local flags="-fsanitize=thread -fno-omit-frame-pointer -g" linkage
  instrumented_library tsan "$flags"
  flags="$flags -O1"
  configure_tests "$build/tsan" "$build/prefix-tsan" -DNUMCODECS_TEST_MEMCHECK=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
  cmake --build "$build/tsan" --parallel "$jobs" --target test_threads_shared test_threads_static
  for linkage in shared static; do
    echo "test_threads_$linkage under ThreadSanitizer:"
    "$build/tsan/test_threads_$linkage" 8 2
  done
}

valgrind_memcheck() {
  command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/install-deps.sh installs it)"; return 1; }
  configure_tests "$build/plain" "$prefix"
  cmake --build "$build/plain" --parallel "$jobs"
  (cd "$build/plain" && ctest --output-on-failure -L memcheck)
}

rust_asan_build() {
  # The Rust code instrumented too: needs nightly, rust-src (-Zbuild-std instruments std as well) and
  # its own target directory. The C libraries get -fsanitize=address from the cc crate under
  # -Zsanitizer=address; CFLAGS only turns off GCC's use-after-scope false alarm in zstd (see asan()).
  local target=x86_64-unknown-linux-gnu dir=$build/rust-asan
  CFLAGS="-fsanitize=address -fno-sanitize-address-use-after-scope -fno-omit-frame-pointer -g" \
  RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes" CARGO_TARGET_DIR="$dir/cargo" \
    cargo +nightly build --locked --release --lib -Zbuild-std --target "$target"
  mkdir -p "$dir/lib"
  cp "$dir/cargo/$target/release/libnumcodecs.so" "$dir/lib/libnumcodecs.so.0"
  ln -sf libnumcodecs.so.0 "$dir/lib/libnumcodecs.so"
  local flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
  local program
  for program in test_capi test_threads; do
    # shellcheck disable=SC2086
    gcc -std=c99 -D_POSIX_C_SOURCE=200809L $flags -I"$root/include" "$root/tests/c/$program.c" -o "$dir/$program" \
      -L"$dir/lib" -lnumcodecs -Wl,-rpath,"$dir/lib" -lpthread -lm
    echo "$program against the ASan-instrumented library:"
    "$dir/$program"
  done
}

miri_tests() {
  # Only code that does not call C: miri interprets Rust and cannot run zlib, zstd, blosc and co. That is
  # the pure-Rust core (dtype, params, sink, the object codecs, base64, packbits, bitround; shuffle's
  # exhaustive test is too slow under miri) and the whole C ABI layer through tests/ffi_contract.rs,
  # whose codecs are written in Rust: pointer checks, the _alloc buffers, panics, the per-thread error.
  cargo +nightly miri --version
  cargo +nightly miri test --locked --lib -- codecs::dtype codecs::params codecs::sink codecs::object codecs::vlen \
    codecs::base64 codecs::packbits codecs::bitround codecs::categorize
  cargo +nightly miri test --locked --test ffi_contract
}

# ---- run ------------------------------------------------------------------------------------------

total_start=$(date +%s)
echo "libnumcodecs sanitizer and memory checks in $root"
if run_section "library (release build, installed into $prefix)" library; then
  run_section "C tests with AddressSanitizer + UndefinedBehaviorSanitizer" asan
  run_section "thread stress test with ThreadSanitizer" tsan
  run_section "C tests under valgrind memcheck" valgrind_memcheck
else
  results+=("SKIP  -   the C test sections (the library did not build)")
  failures=$((failures + 1))
fi
[ $rust_asan = 1 ] && run_section "C tests against the library built with -Zsanitizer=address (nightly)" rust_asan_build
[ $miri = 1 ] && run_section "pure-Rust tests (core units, tests/ffi_contract.rs) under miri (nightly)" miri_tests

printf '\n%s==== summary (%ss) ====%s\n' "$bold" "$(( $(date +%s) - total_start ))" "$reset"
printf '  %s\n' "${results[@]}"
passed=$(( ${#results[@]} - failures ))
if [ $failures -eq 0 ]; then
  printf '%ssections: %d passed, 0 failed%s\n' "$green" "$passed" "$reset"
  exit 0
fi
printf '%ssections: %d passed, %d failed%s\n' "$red" "$passed" "$failures" "$reset"
exit 1
