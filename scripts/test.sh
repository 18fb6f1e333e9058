#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. cargo test (unit tests, tests/*.rs including the header freshness and fixture tests, doc tests)
#   2. the CMake build, installed into a temporary prefix, and a check of the installed files
#   3. the C tests against the installed library, linked shared and static (tests/c, run with ctest)
#   4. a downstream CMake project using find_package(numcodecs 0.1) (tests/c/downstream)
#   5. pkg-config consumers, shared and static
#   6. numcodecs.h compiled as C (c99/c11/c17) and C++ (c++11..c++20), numcodecs.hpp as C++11..20
#   7. examples/demo.c and the C example in README.md built against the installed library and run
#   8. the HDF5 filter plugins against Debian's HDF5 (C, h5dump, h5repack) and h5py + hdf5plugin, both
#      directions, and their NCZarr codecs between netCDF-C and zarr-python (tests/hdf5/run.sh; its pip
#      part skips, saying why, without pip or network)
#   9. a fuzz smoke: every cargo-fuzz target for a few seconds (scripts/fuzz.sh; needs the nightly
#      toolchain, and skips with the reason printed without it; NUMCODECS_SKIP_FUZZ=1 skips it)
# Each section runs even if an earlier one failed (unless it needs the installed library); the script
# ends with a summary and exits non-zero if anything failed.
#
#   ./scripts/test.sh            (NUMCODECS_SKIP_DEPS=1 skips scripts/install-deps.sh)
#
# Build trees are kept in build-tests/ so that re-runs are incremental; the install prefix is a
# temporary directory removed at exit (NUMCODECS_KEEP_PREFIX=1 keeps it).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-tests
jobs=$(nproc 2>/dev/null || echo 2)
prefix=$(mktemp -d "${TMPDIR:-/tmp}/numcodecs-prefix.XXXXXX")
cleanup() {
  if [ "${NUMCODECS_KEEP_PREFIX:-0}" = 1 ]; then echo "install prefix kept: $prefix"; else rm -rf "$prefix"; fi
}
trap cleanup EXIT

if [ -t 1 ]; then bold=$'\e[1m'; red=$'\e[31m'; green=$'\e[32m'; reset=$'\e[0m'; else bold= red= green= reset=; fi

results=()
failures=0
installed=0

# run_section NAME FUNCTION: runs FUNCTION in a subshell with `set -e` (not inside a conditional, where
# bash would ignore set -e) and records its outcome and duration.
run_section() {
  local name=$1 function=$2 start rc
  printf '\n%s==== %s ====%s\n' "$bold" "$name" "$reset"
  start=$(date +%s)
  ( set -e; "$function" )
  rc=$?
  local seconds=$(( $(date +%s) - start ))
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

skip_section() {
  results+=("SKIP  -   $1 (needs the installed library)")
  failures=$((failures + 1))
  printf '\n%s==== %s: skipped, the library was not installed ====%s\n' "$red" "$1" "$reset"
}

# needs_libnumcodecs PROGRAM: whether PROGRAM's dynamic section needs libnumcodecs.so.<major> (by SONAME).
needs_libnumcodecs() {
  local dynamic
  dynamic=$(readelf -d "$1")
  grep -q 'NEEDED.*\[libnumcodecs\.so\.[0-9]*\]' <<<"$dynamic"
}

# expect_linkage PROGRAM shared|static
expect_linkage() {
  if [ "$2" = shared ] && ! needs_libnumcodecs "$1"; then
    echo "$1 should need libnumcodecs.so.<major>"; return 1
  fi
  if [ "$2" = static ] && needs_libnumcodecs "$1"; then
    echo "$1 should be linked with libnumcodecs.a but needs libnumcodecs.so"; return 1
  fi
  echo "$(basename "$1"): linked $2"
}

# ---- sections -------------------------------------------------------------------------------------

dependencies() {
  ./scripts/install-deps.sh
}

cargo_test() {
  cargo --version
  cargo test --locked --no-fail-fast
}

cmake_build_install() {
  cmake -S "$root" -B "$build/lib" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build "$build/lib" --parallel "$jobs"
  cmake --install "$build/lib" --prefix "$prefix"

  # The installed tree, file by file.
  local version soname expected file
  version=$(sed -n 's/^version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
  soname=libnumcodecs.so.${version%%.*}
  expected=(
    "include/numcodecs.h"
    "include/numcodecs.hpp"
    "lib/libnumcodecs.so.$version"
    "lib/$soname"
    "lib/libnumcodecs.so"
    "lib/libnumcodecs.a"
    "lib/cmake/numcodecs/numcodecsConfig.cmake"
    "lib/cmake/numcodecs/numcodecsConfigVersion.cmake"
    "lib/pkgconfig/numcodecs.pc"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_blosc.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_zstd.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_lz4.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_bzip2.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_zlib.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_shuffle.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_gzip.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_lz4_numcodecs.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_fletcher32.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_crc32.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_adler32.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_crc32c.so"
    "lib/numcodecs/hdf5-plugins/libh5z_numcodecs_jenkins_lookup3.so"
  )
  for file in "${expected[@]}"; do
    [ -e "$prefix/$file" ] || { echo "missing after install: $file"; return 1; }
  done
  [ "$(readlink "$prefix/lib/$soname")" = "libnumcodecs.so.$version" ] || { echo "$soname is not a symlink to libnumcodecs.so.$version"; return 1; }
  [ "$(readlink "$prefix/lib/libnumcodecs.so")" = "$soname" ] || { echo "libnumcodecs.so is not a symlink to $soname"; return 1; }
  local dynamic
  dynamic=$(readelf -d "$prefix/lib/libnumcodecs.so.$version")
  grep -q "Library soname: \[$soname\]" <<<"$dynamic" || { echo "libnumcodecs.so.$version lacks SONAME $soname"; return 1; }
  cmp -s include/numcodecs.h "$prefix/include/numcodecs.h" || { echo "installed header differs from include/numcodecs.h"; return 1; }
  # Only the C API is exported from the shared library.
  local foreign
  local symbols
  symbols=$(nm -D --defined-only "$prefix/lib/libnumcodecs.so.$version")
  foreign=$(awk '$2 ~ /^[TDBR]$/ && $3 !~ /^numcodecs_/ {print $3}' <<<"$symbols")
  [ -z "$foreign" ] || { echo "unexpected exported symbols:"; echo "$foreign"; return 1; }
  echo "installed into $prefix:"
  (cd "$prefix" && find . -mindepth 1 \( -type f -o -type l \) | sort | sed 's/^\.\//  /')
}

c_tests() {
  # Every function the header declares is called by the C tests (a new function needs a test);
  # test_items.c covers the object-codec (item) functions.
  local function untested=()
  for function in $(grep -E '^[a-z]' include/numcodecs.h | grep -oE 'numcodecs_[a-z0-9_]+\(' | tr -d '('); do
    grep -q "$function(" tests/c/test_capi.c tests/c/test_items.c || untested+=("$function")
  done
  if [ ${#untested[@]} -gt 0 ]; then
    echo "tests/c/test_capi.c and test_items.c do not call: ${untested[*]}"; return 1
  fi
  echo "tests/c/test_capi.c and test_items.c call all $(grep -E '^[a-z]' include/numcodecs.h | grep -cE 'numcodecs_[a-z0-9_]+\(') functions of numcodecs.h"
  cmake -S tests/c -B "$build/c" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  cmake --build "$build/c" --parallel "$jobs"
  (cd "$build/c" && ctest --output-on-failure)
}

downstream() {
  rm -rf "$build/downstream"
  cmake -S tests/c/downstream -B "$build/downstream" -DCMAKE_PREFIX_PATH="$prefix"
  cmake --build "$build/downstream" --parallel "$jobs"
  "$build/downstream/consumer_shared"
  "$build/downstream/consumer_static"
  expect_linkage "$build/downstream/consumer_shared" shared
  expect_linkage "$build/downstream/consumer_static" static

  # The package version file: 0.x releases are compatible only within the same minor version.
  local version major minor want
  version=$(sed -n 's/^version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
  major=${version%%.*}; minor=${version#*.}; minor=${minor%%.*}
  for want in "$major.$minor" "$version"; do
    rm -rf "$build/version-check"
    cmake -S tests/c/version-check -B "$build/version-check" -DCMAKE_PREFIX_PATH="$prefix" -DWANT="$want" >/dev/null \
      || { echo "find_package(numcodecs $want) failed for installed $version"; return 1; }
    echo "find_package(numcodecs $want): found (as it should)"
  done
  for want in "$major.$((minor + 1))" "$((major + 1)).0"; do
    rm -rf "$build/version-check"
    if cmake -S tests/c/version-check -B "$build/version-check" -DCMAKE_PREFIX_PATH="$prefix" -DWANT="$want" >/dev/null 2>&1; then
      echo "find_package(numcodecs $want) accepted installed $version"; return 1
    fi
    echo "find_package(numcodecs $want): refused (as it should)"
  done
}

pkgconfig_consumers() {
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  local cc=${CC:-cc} libdir static_libs
  mkdir -p "$build/pkgconfig"
  echo "pkg-config --cflags --libs numcodecs: $(pkg-config --cflags --libs numcodecs)"
  echo "pkg-config --static --libs numcodecs: $(pkg-config --static --libs numcodecs)"
  [ "$(pkg-config --modversion numcodecs)" = "$(sed -n 's/^version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)" ]
  libdir=$(pkg-config --variable=libdir numcodecs)
  # shellcheck disable=SC2046
  "$cc" -std=c99 -Wall -Wextra -Werror tests/c/downstream/consumer.c -o "$build/pkgconfig/consumer_shared" \
    $(pkg-config --cflags --libs numcodecs) -Wl,-rpath,"$libdir"
  "$build/pkgconfig/consumer_shared"
  expect_linkage "$build/pkgconfig/consumer_shared" shared
  # With both libnumcodecs.so and .a installed, the linker picks the .so for -lnumcodecs; name the
  # archive (-l:libnumcodecs.a) and take the private libraries from --static.
  static_libs=$(pkg-config --static --libs numcodecs)
  static_libs=${static_libs/-lnumcodecs/-l:libnumcodecs.a}
  # shellcheck disable=SC2046,SC2086
  "$cc" -std=c99 -Wall -Wextra -Werror tests/c/downstream/consumer.c -o "$build/pkgconfig/consumer_static" \
    $(pkg-config --cflags numcodecs) $static_libs
  "$build/pkgconfig/consumer_static"
  expect_linkage "$build/pkgconfig/consumer_static" static
}

header_languages() {
  local cc=${CC:-cc} cxx=${CXX:-g++} std
  mkdir -p "$build/header"
  printf '#include <numcodecs.h>\nint main(void) { return numcodecs_status_name(NUMCODECS_OK)[0] == 0; }\n' > "$build/header/c.c"
  printf '#include <numcodecs.h>\nint main() { return numcodecs_status_name(NUMCODECS_OK)[0] == 0; }\n' > "$build/header/cxx.cpp"
  printf '#include <numcodecs.hpp>\nint main() { return numcodecs::version().empty(); }\n' > "$build/header/hpp.cpp"
  for std in c99 c11 c17; do
    "$cc" -std=$std -Wall -Wextra -Wpedantic -Werror -I"$prefix/include" -c "$build/header/c.c" -o "$build/header/c.o"
    echo "C   -std=$std: ok"
  done
  for std in c++11 c++14 c++17 c++20; do
    "$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror -I"$prefix/include" -c "$build/header/cxx.cpp" -o "$build/header/cxx.o"
    "$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror -Wold-style-cast -I"$prefix/include" -c "$build/header/hpp.cpp" -o "$build/header/hpp.o"
    echo "C++ -std=$std: numcodecs.h and numcodecs.hpp ok"
  done
}

demo() {
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  local libdir
  libdir=$(pkg-config --variable=libdir numcodecs)
  mkdir -p "$build/demo"
  # shellcheck disable=SC2046
  "${CC:-cc}" -std=c99 -O2 -Wall -Wextra -Werror examples/demo.c -o "$build/demo/demo" \
    $(pkg-config --cflags --libs numcodecs) -Wl,-rpath,"$libdir" -lm
  "$build/demo/demo"

  # Each ```c block in README.md is a complete program: each must compile and run too.
  awk '/^```c$/ {inside = 1; n++; next} /^```$/ && inside {inside = 0} inside {print > (dir "/readme_example_" n ".c")}' \
    dir="$build/demo" README.md
  local example examples=("$build"/demo/readme_example_*.c)
  [ -s "${examples[0]}" ] || { echo "no \`\`\`c block in README.md"; return 1; }
  for example in "${examples[@]}"; do
    # shellcheck disable=SC2046
    "${CC:-cc}" -std=c99 -Wall -Wextra -Wpedantic -Werror "$example" -o "${example%.c}" \
      $(pkg-config --cflags --libs numcodecs) -Wl,-rpath,"$libdir"
    "${example%.c}"
  done
}

fuzz_smoke() {
  if [ "${NUMCODECS_SKIP_FUZZ:-0}" = 1 ]; then echo "skipped: NUMCODECS_SKIP_FUZZ=1"; return 0; fi
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "skipped: no nightly toolchain (rustup toolchain install nightly), which cargo-fuzz needs"; return 0
  fi
  # Seconds per target: long enough to replay the seed corpus and mutate a little, short enough for CI.
  # A fixed seed, so that the smoke mutates the same way on every run instead of failing CI at random on
  # whatever it happens to reach; long campaigns (scripts/fuzz.sh N) keep random seeds.
  NUMCODECS_FUZZ_SEED=${NUMCODECS_FUZZ_SEED:-1} ./scripts/fuzz.sh "${NUMCODECS_FUZZ_SECONDS:-5}"
}

hdf5_plugins() {
  # The plugin directory as installed users find it: numcodecs.pc's hdf5_plugin_dir variable.
  local plugin_dir
  plugin_dir=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=hdf5_plugin_dir numcodecs)
  [ "$(cd "$plugin_dir" && pwd -P)" = "$(cd "$prefix/lib/numcodecs/hdf5-plugins" && pwd -P)" ] \
    || { echo "numcodecs.pc: hdf5_plugin_dir=$plugin_dir is not the installed plugin directory"; return 1; }
  tests/hdf5/run.sh "$plugin_dir" "$build/hdf5"
}

# ---- run ------------------------------------------------------------------------------------------

total_start=$(date +%s)
echo "libnumcodecs test suite in $root (CI=${CI:-false})"

if [ "${NUMCODECS_SKIP_DEPS:-0}" != 1 ]; then
  run_section "dependencies (scripts/install-deps.sh)" dependencies
fi
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

run_section "cargo test" cargo_test
run_section "CMake build and install" cmake_build_install && installed=1
if [ $installed = 1 ]; then
  run_section "C tests, shared and static (ctest)" c_tests
  run_section "downstream CMake project (find_package)" downstream
  run_section "pkg-config consumers, shared and static" pkgconfig_consumers
  run_section "header as C and C++" header_languages
  run_section "examples against the installed library (demo.c, README)" demo
  run_section "HDF5/NCZarr plugins: HDF5, h5dump, h5repack, h5py + hdf5plugin, netCDF + zarr" hdf5_plugins
else
  for name in "C tests, shared and static (ctest)" "downstream CMake project (find_package)" \
              "pkg-config consumers, shared and static" "header as C and C++" "examples against the installed library (demo.c, README)" \
              "HDF5/NCZarr plugins: HDF5, h5dump, h5repack, h5py + hdf5plugin, netCDF + zarr"; do
    skip_section "$name"
  done
fi

run_section "fuzz smoke (scripts/fuzz.sh)" fuzz_smoke

printf '\n%s==== summary (%ss) ====%s\n' "$bold" "$(( $(date +%s) - total_start ))" "$reset"
printf '  %s\n' "${results[@]}"
# The last line is the plain "N passed, N failed" that CI reads.
passed=$(( ${#results[@]} - failures ))
if [ $failures -eq 0 ]; then
  printf '%ssections: %d passed, 0 failed%s\n' "$green" "$passed" "$reset"
  exit 0
fi
printf '%ssections: %d passed, %d failed%s\n' "$red" "$passed" "$failures" "$reset"
exit 1
