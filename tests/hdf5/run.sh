#!/usr/bin/env bash
# Interop tests of the HDF5 filter plugins and their NCZarr codecs (plugins/hdf5), values compared exactly, never exit codes
# alone (Debian's h5dump prints an empty dataset and exits 0 when a filter is missing).
#
#   tests/hdf5/run.sh PLUGIN_DIR WORK_DIR
#
# PLUGIN_DIR holds the installed plugins (<prefix>/lib/numcodecs/hdf5-plugins). WORK_DIR keeps the
# compiled test program, the files written and the h5py venv between runs.
#
# Core part (Debian's libhdf5-dev and hdf5-tools, no pip):
#   - each plugin exports only H5PLget_plugin_type/H5PLget_plugin_info (and NCZ_get_codec_info) and
#     needs neither libhdf5, libnetcdf nor libnumcodecs.so;
#   - the committed files written by h5py + hdf5plugin (tests/fixtures/hdf5) are read by a C program on
#     Debian's libhdf5 (tests/hdf5/h5check.c) and by h5dump, through our plugins only;
#   - a C program and `h5repack -f UD=...` write through our plugins, and read back;
#   - corrupt chunks give HDF5 errors, with the plugin's message on HDF5's error stack (C, h5dump);
#   - the shuffle plugin stores what HDF5's own shuffle filter stores (tests/hdf5/shuffle_check.c).
# pip part (a venv with h5py, hdf5plugin, netCDF4 and zarr; skipped with the reason printed when pip or
# the network is unavailable, or with NUMCODECS_HDF5_SKIP_PIP=1):
#   - fresh hdf5plugin files -> the C program and h5py with only our plugins;
#   - files written by our plugins (C program, h5repack, h5py) -> h5py + hdf5plugin;
#   - NCZarr (tests/hdf5/nczarr.py): zarr-python stores -> netCDF through our plugins' codec entry, and
#     netCDF-written stores -> zarr-python; corrupt chunks give netCDF errors;
#   - Debian's ncdump and nccopy on the wheel's libnetcdf (netcdf-bin installed): ncdump of a compressed
#     store equals that of its uncompressed twin, nccopy -F writes a store zarr-python reads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
plugin_dir=$(cd "$1" && pwd)
work=$2
fixtures=$root/tests/fixtures/hdf5
mkdir -p "$work"
rm -rf "$work/files"
mkdir -p "$work/files"
files=$work/files

# filter id -> file stem, as tests/hdf5/cases.py names them.
declare -A stem=([32001]=blosc [32015]=zstd [32004]=lz4 [307]=bzip2)
# cd_values our C program and h5repack write with: two settings per filter.
declare -A settings=(
  [32001]="0,0,0,0,5,1,1 0,0,0,0,9,2,5"
  [32015]="3 4294967291"
  [32004]="0 512"
  [307]="9 2"
)

# ---- the plugin files -----------------------------------------------------------------------------
# plugin -> the entry points it must export, and nothing else. HDF5's lz4 (32004) has no NCZarr codec
# (numcodecs' lz4 framing is another format: lz4_numcodecs, on a private id, is that codec).
declare -A entry_points=(
  [blosc]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [zstd]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [lz4]="H5PLget_plugin_info H5PLget_plugin_type "
  [bzip2]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [zlib]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [shuffle]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [gzip]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [lz4_numcodecs]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [fletcher32]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [crc32]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [adler32]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [crc32c]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
  [jenkins_lookup3]="H5PLget_plugin_info H5PLget_plugin_type NCZ_get_codec_info "
)
for name in "${!entry_points[@]}"; do
  plugin=$plugin_dir/libh5z_numcodecs_$name.so
  [ -f "$plugin" ] || { echo "missing plugin $plugin"; exit 1; }
  needed=$(readelf -d "$plugin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  if grep -qE 'libhdf5|libnetcdf|libnumcodecs' <<<"$needed"; then
    echo "$plugin must not need libhdf5, libnetcdf or libnumcodecs.so (needs: $needed)"; exit 1
  fi
  exported=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
  if [ "$exported" != "${entry_points[$name]}" ]; then
    echo "$plugin exports $exported, expected ${entry_points[$name]}"; exit 1
  fi
  echo "$(basename "$plugin"): $(du -k "$plugin" | cut -f1) KiB, exports $exported, needs only $needed"
done

if ! pkg-config --exists hdf5 || ! command -v h5dump >/dev/null || ! command -v h5repack >/dev/null; then
  echo "SKIP: HDF5 interop tests need Debian's libhdf5-dev and hdf5-tools (scripts/install-deps.sh installs them)"
  exit 0
fi
echo "Debian HDF5 $(pkg-config --modversion hdf5), $(h5dump --version 2>&1 | head -n 1)"
# shellcheck disable=SC2046
"${CC:-cc}" -std=c99 -O1 -Wall -Wextra -Werror "$here/h5check.c" -o "$work/h5check" $(pkg-config --cflags --libs hdf5)
h5check=$work/h5check
export HDF5_PLUGIN_PATH=$plugin_dir

# ---- the checks can fail --------------------------------------------------------------------------
# Without our plugins, the C reader must fail, and h5dump's output must not match (it prints an empty
# dataset and exits 0), or the checks below would prove nothing.
mkdir -p "$work/no-plugins"
if HDF5_PLUGIN_PATH=$work/no-plugins "$h5check" read "$fixtures/hdf5plugin_zstd.h5" 32015 >/dev/null 2>&1; then
  echo "h5check read succeeded without any plugin on HDF5_PLUGIN_PATH"; exit 1
fi
HDF5_PLUGIN_PATH=$work/no-plugins h5dump -d /filtered/level3__le_f4_30x40 -b LE -o "$work/got.bin" "$fixtures/hdf5plugin_zstd.h5" >/dev/null 2>&1 || true
h5dump -d /expected/level3__le_f4_30x40 -b LE -o "$work/want.bin" "$fixtures/hdf5plugin_zstd.h5" >/dev/null
if cmp -s "$work/got.bin" "$work/want.bin"; then
  echo "h5dump matched without any plugin on HDF5_PLUGIN_PATH"; exit 1
fi
echo "without plugins: the C reader fails and h5dump's output differs (as they should)"

# ---- hdf5plugin's files, read through our plugins ---------------------------------------------------
for id in 32001 32015 32004 307; do
  "$h5check" read "$fixtures/hdf5plugin_${stem[$id]}.h5" "$id"
done

# h5dump: every filtered dataset dumps (binary, little-endian) to exactly the bytes of its copy.
dumped=0
for id in 32001 32015 32004 307; do
  file=$fixtures/hdf5plugin_${stem[$id]}.h5
  for name in $(h5dump -n "$file" | awk '$1 == "dataset" && $2 ~ /^\/filtered\// {sub("/filtered/", "", $2); print $2}'); do
    h5dump -d "/filtered/$name" -b LE -o "$work/got.bin" "$file" >/dev/null
    h5dump -d "/expected/$name" -b LE -o "$work/want.bin" "$file" >/dev/null
    [ -s "$work/want.bin" ] || { echo "h5dump wrote nothing for /expected/$name"; exit 1; }
    cmp -s "$work/got.bin" "$work/want.bin" || { echo "h5dump: /filtered/$name of $file differs from /expected/$name"; exit 1; }
    dumped=$((dumped + 1))
  done
done
echo "h5dump: $dumped datasets of hdf5plugin's files dump exactly as their uncompressed copies"

# ---- writing through our plugins ------------------------------------------------------------------
for id in 32001 32015 32004 307; do
  out=$files/ours_c_${stem[$id]}.h5
  for cd in ${settings[$id]}; do
    # shellcheck disable=SC2046
    "$h5check" write "$out" "cd_${cd//,/_}" "$id" $(tr ',' ' ' <<<"$cd") >/dev/null
  done
  "$h5check" read "$out" "$id"
  # The stored pipeline names our plugin, and blosc's set_local filled slots 0-3 like hdf5-blosc
  # (revision 2, blosc format 2, element size 4, chunk bytes 16*16*4).
  first=${settings[$id]%% *}
  header=$(h5dump -p -H -d "/filtered/cd_${first//,/_}__f4" "$out" | tr -s ' \n' ' ')
  grep -q "libnumcodecs" <<<"$header" || { echo "$out: filter name is not ours: $header"; exit 1; }
  if [ "$id" = 32001 ]; then
    grep -q "PARAMS { 2 2 4 1024 5 1 1 }" <<<"$header" || { echo "blosc set_local: unexpected cd_values in $header"; exit 1; }
    # An array type (3 x f4) shuffles by its base type: typesize 4, chunk bytes 32 * 12.
    header=$(h5dump -p -H -d "/filtered/cd_${first//,/_}__f4x3" "$out" | tr -s ' \n' ' ')
    grep -q "PARAMS { 2 2 4 384 5 1 1 }" <<<"$header" || { echo "blosc set_local (array type): unexpected cd_values in $header"; exit 1; }
  fi
done

# numcodecs' gzip, lz4 framing and checksums on their private ids (no other HDF5 plugin reads them):
# through HDF5 too, written and read back by the C program, and refusing corrupt chunks.
for spec in "65002:gzip:3" "65001:lz4_numcodecs:10" "65003:crc32:0" "65004:adler32:1" "65005:crc32c:1" \
            "65006:jenkins_lookup3:7"; do
  IFS=: read -r id name cd <<<"$spec"
  "$h5check" write "$files/private_$name.h5" "cd_$cd" "$id" "$cd" >/dev/null
  "$h5check" read "$files/private_$name.h5" "$id"
  "$h5check" corrupt "$files/corrupt.h5" "$id" "$cd"
done

# h5repack -f UD=id,flag,count,values: from an uncompressed copy of a fixture, through each filter.
h5repack -f NONE "$fixtures/hdf5plugin_zstd.h5" "$files/plain.h5"
for id in 32001 32015 32004 307; do
  for cd in ${settings[$id]}; do
    count=$(tr ',' '\n' <<<"$cd" | wc -l)
    out=$files/repacked_${stem[$id]}_${cd//,/_}.h5
    h5repack -f "UD=$id,0,$count,$cd" "$files/plain.h5" "$out"
    "$h5check" read "$out" "$id" "$files/plain.h5" | sed 's/^/h5repack: /'
  done
done

# ---- corrupt chunks -------------------------------------------------------------------------------
# Under valgrind when it is there (scripts/install-deps.sh installs it): the plugins' C code and the
# decoders must not touch memory they do not own, whatever the chunk holds.
checker=()
if command -v valgrind >/dev/null; then
  checker=(valgrind -q --error-exitcode=99 --leak-check=no)
fi
for id in 32001 32015 32004 307; do
  # shellcheck disable=SC2046
  "${checker[@]}" "$h5check" corrupt "$files/corrupt.h5" "$id" $(tr ',' ' ' <<<"${settings[$id]%% *}")
done

# The shuffle plugin (filter 2, which HDF5 has built in and never loads from a plugin; NCZarr does):
# called directly, it must store what Debian's libhdf5 stores with its own shuffle filter.
# shellcheck disable=SC2046
"${CC:-cc}" -std=c99 -O1 -Wall -Wextra -Werror "$here/shuffle_check.c" -o "$work/shuffle_check" $(pkg-config --cflags --libs hdf5) -ldl
(cd "$work" && ./shuffle_check "$plugin_dir/libh5z_numcodecs_shuffle.so")

# h5dump shows why: the plugin's message is on HDF5's error stack (the last corrupt.h5 above holds a
# bzip2 chunk with its header zeroed).
h5dump --enable-error-stack -d /data "$files/corrupt.h5" >/dev/null 2>"$work/h5dump-error.txt" || true
grep -q "libnumcodecs filter 307 cannot decode the chunk: " "$work/h5dump-error.txt" \
  || { echo "h5dump --enable-error-stack does not show the plugin's message:"; cat "$work/h5dump-error.txt"; exit 1; }
echo "h5dump --enable-error-stack: $(grep -o 'libnumcodecs filter 307 cannot decode.*' "$work/h5dump-error.txt" | head -n 1)"

# ---- h5py + hdf5plugin ----------------------------------------------------------------------------
if [ "${NUMCODECS_HDF5_SKIP_PIP:-0}" = 1 ]; then
  echo "SKIP: h5py/hdf5plugin and NCZarr interop (NUMCODECS_HDF5_SKIP_PIP=1)"; exit 0
fi
venv=$work/venv
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import h5py, hdf5plugin, netCDF4, zarr' 2>/dev/null; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >"$work/venv.log" 2>&1; then
    echo "SKIP: h5py/hdf5plugin and NCZarr interop: cannot create a venv with $python -m venv (see $work/venv.log)"; exit 0
  fi
  # Versions the fixtures were made and checked with (tests/fixtures/hdf5/VERSIONS). The netCDF4 wheel
  # bundles libnetcdf 4.10.1, which (unlike Debian's 4.9.0) supports NCZarr filters.
  if ! "$venv/bin/pip" install --quiet 'h5py==3.16.0' 'hdf5plugin==7.1.0' 'netCDF4==1.7.5.1.post1' 'zarr==3.1.6' \
       >>"$work/venv.log" 2>&1; then
    rm -rf "$venv"
    echo "SKIP: h5py/hdf5plugin/netCDF4/zarr interop: pip install failed (no network?), see $work/venv.log"; exit 0
  fi
fi
vpython=$venv/bin/python
echo "$("$vpython" -c 'import h5py, hdf5plugin, netCDF4, zarr; print(f"h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}), hdf5plugin {hdf5plugin.version}, netCDF4 {netCDF4.__version__} (libnetcdf {netCDF4.__netcdf4libversion__}), zarr {zarr.__version__}")')"

# hdf5plugin writes -> Debian's libhdf5 (C) and h5py, both with only our plugins.
"$vpython" "$here/interop.py" write-hdf5plugin "$files/fresh"
for id in 32001 32015 32004 307; do
  "$h5check" read "$files/fresh/hdf5plugin_${stem[$id]}.h5" "$id"
done
"$vpython" "$here/interop.py" read-ours "$files"/fresh/*.h5 "$fixtures"/*.h5

# Our plugins write (h5py, the C program, h5repack) -> h5py + hdf5plugin.
"$vpython" "$here/interop.py" write-ours "$files/ours_h5py"
"$vpython" "$here/interop.py" read-hdf5plugin "$files"/ours_h5py/*.h5 "$files"/ours_c_*.h5
for file in "$files"/repacked_*.h5; do
  # h5repack filtered /expected too; compare /filtered with the plain file's values through hdf5plugin.
  "$vpython" - "$file" "$files/plain.h5" <<'PY'
import os, sys
os.environ.pop("HDF5_PLUGIN_PATH", None)
import hdf5plugin  # noqa: F401
import h5py
path, plain = sys.argv[1:]
with h5py.File(path, "r") as f, h5py.File(plain, "r") as p:
    names = list(f["filtered"])
    for name in names:
        if f["filtered"][name][...].tobytes() != p["expected"][name][...].tobytes():
            raise SystemExit(f"{path}: /filtered/{name} differs (read by hdf5plugin)")
print(f"read-hdf5plugin: {path}: {len(names)} datasets equal their expected values")
PY
done

# h5py raises for the corrupt chunk. Its HDF5 2.0.0 saves the error stack before it calls a filter and
# restores it afterwards, so what a filter pushes (H5Epush2 is called: checked with gdb) is dropped there,
# and h5py's message is HDF5's own "filter returned failure during read". Print which one h5py shows.
"$vpython" - "$files/corrupt.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    try:
        f["data"][...]
    except OSError as error:
        shown = "with" if "libnumcodecs filter 307 cannot decode the chunk" in str(error) else "without"
        print(f"h5py (HDF5 {h5py.version.hdf5_version}) refuses the corrupt chunk, {shown} the plugin's message: {error}")
    else:
        raise SystemExit("h5py read a corrupt bzip2 chunk without an error")
PY

# ---- NCZarr: zarr-python and netCDF-C (the netCDF4 wheel's libnetcdf) ------------------------------
# Our plugins only on HDF5_PLUGIN_PATH (netCDF4 falls back to its own plugins only when it is unset).
"$vpython" "$here/nczarr.py" zarr-writes "$files/nczarr"
HDF5_PLUGIN_PATH=$work/no-plugins "$vpython" "$here/nczarr.py" no-plugins "$files/nczarr" 2>/dev/null
"$vpython" "$here/nczarr.py" netcdf-writes "$files/nczarr"
"$vpython" "$here/nczarr.py" corrupt "$files/nczarr" 2>/dev/null

# ---- ncdump and nccopy --------------------------------------------------------------------------
# Debian's netcdf-bin 4.9.0 tools on Debian's libnetcdf cannot apply NCZarr filters (compressed
# variables dump as garbage). Run the same tool binaries on the wheel's libnetcdf 4.10.1 instead: its
# file under the soname they want (libnetcdf.so.19), the wheel's own libraries beside it, and
# nctools_shim.c preloaded for the three functions 4.9.0 exported that 4.10.1 does not.
if ! command -v ncdump >/dev/null || ! command -v nccopy >/dev/null; then
  echo "SKIP: ncdump/nccopy: Debian's netcdf-bin is not installed (scripts/install-deps.sh installs it)"; exit 0
fi
wheel_libs=$("$vpython" -c 'import netCDF4, os; print(os.path.join(os.path.dirname(os.path.dirname(netCDF4.__file__)), "netcdf4.libs"))')
wheel_netcdf=$(ls "$wheel_libs"/libnetcdf-*.so* 2>/dev/null | head -n 1)
[ -n "$wheel_netcdf" ] || { echo "no libnetcdf in $wheel_libs"; exit 1; }
mkdir -p "$work/nctools"
ln -sf "$wheel_netcdf" "$work/nctools/libnetcdf.so.19"
"${CC:-cc}" -std=c99 -D_POSIX_C_SOURCE=200809L -O1 -Wall -Wextra -Werror -shared -fPIC "$here/nctools_shim.c" \
  -o "$work/nctools/shim.so"
nctool() { LD_PRELOAD=$work/nctools/shim.so LD_LIBRARY_PATH=$work/nctools:$wheel_libs "$@"; }
zarr_url() { echo "file://$1#mode=zarr,file"; }
nctool ncdump -k "$(zarr_url "$files/nczarr/zarr_writes.zarr")" | grep -qx 'netCDF-4' \
  || { echo "ncdump on the wheel's libnetcdf does not open the store"; exit 1; }

# ncdump: zarr-python's compressed store (every codec above) dumps exactly as its uncompressed twin.
"$vpython" "$here/nczarr.py" plain-twin "$files/nczarr"
nctool ncdump "$(zarr_url "$files/nczarr/zarr_writes.zarr")" | tail -n +2 >"$work/ncdump-compressed.cdl"
nctool ncdump "$(zarr_url "$files/nczarr/zarr_plain.zarr")" | tail -n +2 >"$work/ncdump-plain.cdl"
[ "$(grep -c ' = ' "$work/ncdump-plain.cdl")" -gt 50 ] || { echo "ncdump printed too little of the plain store"; exit 1; }
cmp -s "$work/ncdump-compressed.cdl" "$work/ncdump-plain.cdl" \
  || { echo "ncdump: the compressed store dumps differently from its uncompressed twin"; diff "$work/ncdump-compressed.cdl" "$work/ncdump-plain.cdl" | head; exit 1; }
# Without our plugins the compressed store must not dump the same (or the comparison proved nothing).
if HDF5_PLUGIN_PATH=$work/no-plugins nctool ncdump "$(zarr_url "$files/nczarr/zarr_writes.zarr")" 2>/dev/null \
   | tail -n +2 | cmp -s - "$work/ncdump-plain.cdl"; then
  echo "ncdump dumped the compressed store without our plugins"; exit 1
fi
echo "ncdump (netcdf-bin $(ncdump 2>&1 | sed -n 's/.*library version \([0-9.]*\).*/\1/p') binary, libnetcdf 4.10.1 of the wheel): the compressed store dumps exactly as its uncompressed twin; without our plugins it does not"

# nccopy -F: the twin, recompressed with zstd through our plugin, read back by zarr-python.
rm -rf "$files/nczarr/nccopy_zstd.zarr"
nctool nccopy -F '*,32015,5' "$(zarr_url "$files/nczarr/zarr_plain.zarr")" "$(zarr_url "$files/nczarr/nccopy_zstd.zarr")"
"$vpython" "$here/nczarr.py" check-nccopy "$files/nczarr"
