"""NCZarr interop of the plugins' netCDF codec entry (NCZ_get_codec_info): zarr-python and netCDF-C.

Run by tests/hdf5/run.sh in a venv with zarr and netCDF4 (whose wheel bundles a libnetcdf with NCZarr
filter support; Debian's libnetcdf has none). HDF5_PLUGIN_PATH must name our plugins only: netCDF4
points it at the wheel's own plugins only when it is unset.

    nczarr.py zarr-writes DIR     zarr-python (zarr_format=2) writes arrays with numcodecs compressors,
                                  netCDF reads them through our plugins; values compared exactly
    nczarr.py netcdf-writes DIR   netCDF writes variables with zstd, blosc and bzip2 through our
                                  plugins, zarr-python (numcodecs) reads them; values compared exactly
    nczarr.py corrupt DIR         a garbage chunk in a zarr store gives a netCDF error, not a crash
    nczarr.py no-plugins DIR      with HDF5_PLUGIN_PATH naming an empty directory, netCDF cannot read
                                  the zarr-writes store (so the checks above prove something)
    nczarr.py plain-twin DIR      the zarr-writes arrays again, uncompressed (ncdump's reference)
    nczarr.py check-nccopy DIR    zarr-python reads what nccopy -F '*,32015,5' wrote from the twin
"""
import json
import os
import shutil
import sys

import numpy as np

# (dtype, shape, chunks)
ARRAYS = [("<f4", (30, 40), (16, 16)), ("<i2", (1000,), (300,)), ("|u1", (12, 20, 30), (6, 20, 15)), ("<f8", (24, 24), (24, 24))]


def values(dtype, shape):
    n = int(np.prod(shape))
    ramp = (np.arange(n) // 4) % 50
    bumps = (np.arange(n) * 2654435761 % 2**32) >> 28 == 0
    return (ramp + bumps).astype(dtype).reshape(shape)


def compressors():
    import numcodecs
    return [
        ("zstd_l3", numcodecs.Zstd(level=3)),
        ("zstd_l_minus3", numcodecs.Zstd(level=-3)),
        ("blosc_zstd_bit", numcodecs.Blosc(cname="zstd", clevel=5, shuffle=numcodecs.Blosc.BITSHUFFLE)),
        ("blosc_lz4_byte", numcodecs.Blosc(cname="lz4", clevel=9, shuffle=numcodecs.Blosc.SHUFFLE)),
        ("blosc_blosclz_none", numcodecs.Blosc(cname="blosclz", clevel=3, shuffle=numcodecs.Blosc.NOSHUFFLE)),
        ("bz2_l1", numcodecs.BZ2(level=1)),
        ("bz2_l9", numcodecs.BZ2(level=9)),
        ("zlib_l5", numcodecs.Zlib(level=5)),
        ("zlib_default", numcodecs.Zlib(level=-1)),
        ("gzip_l3", numcodecs.GZip(level=3)),
        ("lz4_a1", numcodecs.LZ4(acceleration=1)),
        ("lz4_a10", numcodecs.LZ4(acceleration=10)),
    ]


def checksum_filters():
    """Checksums as Zarr v2 filters, each before a compressor."""
    import numcodecs
    return [
        ("crc32_start", [numcodecs.CRC32()], numcodecs.Zstd(level=1)),
        ("crc32_end", [numcodecs.CRC32(location="end")], None),
        ("adler32", [numcodecs.Adler32()], numcodecs.Zlib(level=1)),
        ("crc32c", [numcodecs.CRC32C()], None),
        ("fletcher32", [numcodecs.Fletcher32()], numcodecs.Blosc(cname="lz4")),
        ("jenkins", [numcodecs.JenkinsLookup3(initval=7)], None),
        ("two_checksums", [numcodecs.Adler32(location="end"), numcodecs.CRC32()], numcodecs.BZ2(level=1)),
    ]


def url(path):
    return f"file://{os.path.abspath(path)}#mode=zarr,file"


def zarr_writes(directory):
    import netCDF4
    import numcodecs
    import zarr
    path = os.path.join(directory, "zarr_writes.zarr")
    shutil.rmtree(path, ignore_errors=True)
    group = zarr.open_group(path, mode="w", zarr_format=2)
    expected = {}
    for label, compressor in compressors():
        for number, (dtype, shape, chunks) in enumerate(ARRAYS):
            name = f"{label}_{number}"
            array = group.create_array(name, shape=shape, chunks=chunks, dtype=dtype, compressors=compressor)
            array[...] = expected[name] = values(dtype, shape)
            # xarray's dimension names, which NCZarr reads in pure-Zarr mode.
            array.attrs["_ARRAY_DIMENSIONS"] = [f"{name}_d{axis}" for axis in range(len(shape))]
    for label, filters, compressor in checksum_filters():
        dtype, shape, chunks = ARRAYS[0]
        name = f"{label}_0"
        array = group.create_array(name, shape=shape, chunks=chunks, dtype=dtype, filters=filters, compressors=compressor)
        array[...] = expected[name] = values(dtype, shape)
        array.attrs["_ARRAY_DIMENSIONS"] = [f"{name}_d{axis}" for axis in range(len(shape))]
    # numcodecs' shuffle as a filter: NCZarr maps it to HDF5's shuffle (filter 2, our shuffle plugin).
    # By the element size, and by another size (2 on 8-byte elements), which the codec's elementsize
    # must decide, not the variable's type.
    for number, (dtype, shape, chunks) in enumerate(ARRAYS):
        itemsize = np.dtype(dtype).itemsize
        for label, elementsize, compressor in [("shuffle_zlib", itemsize, numcodecs.Zlib(level=1)),
                                               ("shuffle_2", 2, None)]:
            if label == "shuffle_2" and itemsize % 2:
                continue
            name = f"{label}_{number}"
            array = group.create_array(name, shape=shape, chunks=chunks, dtype=dtype,
                                       filters=[numcodecs.Shuffle(elementsize=elementsize)], compressors=compressor)
            array[...] = expected[name] = values(dtype, shape)
            array.attrs["_ARRAY_DIMENSIONS"] = [f"{name}_d{axis}" for axis in range(len(shape))]
    with netCDF4.Dataset(url(path)) as dataset:
        for name, want in expected.items():
            got = np.asarray(dataset[name][...])
            if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                raise SystemExit(f"netCDF read {path}/{name} differently from what zarr wrote")
    print(f"zarr-python wrote {len(expected)} arrays (zstd, blosc, bz2, zlib, gzip, lz4; crc32, adler32, crc32c, fletcher32, jenkins_lookup3, shuffle as filters), netCDF read them through our plugins: all equal")


def netcdf_writes(directory):
    import netCDF4
    import zarr
    path = os.path.join(directory, "netcdf_writes.zarr")
    shutil.rmtree(path, ignore_errors=True)
    settings = [
        ("zstd", dict(compression="zstd", complevel=4), {"id": "zstd", "level": 4}),
        ("blosc_lz4", dict(compression="blosc_lz4", complevel=5, blosc_shuffle=1), {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}),
        ("blosc_zstd", dict(compression="blosc_zstd", complevel=9, blosc_shuffle=2), {"id": "blosc", "cname": "zstd", "clevel": 9, "shuffle": 2, "blocksize": 0}),
        ("bzip2", dict(compression="bzip2", complevel=9), {"id": "bz2", "level": 9}),
        # HDF5's deflate (filter 1), which NCZarr maps to numcodecs' zlib through our zlib plugin.
        ("zlib", dict(compression="zlib", complevel=4, shuffle=False), {"id": "zlib", "level": 4}),
        # netCDF's shuffle=True is HDF5's shuffle (filter 2) before deflate: numcodecs' shuffle with the
        # element size (our shuffle plugin's NCZ_modify_parameters), then zlib.
        ("zlib_shuffle", dict(compression="zlib", complevel=4, shuffle=True), {"id": "zlib", "level": 4}),
        # HDF5's Fletcher-32 (filter 3) is numcodecs' fletcher32; netCDF puts it in the Zarr filters.
        # The last filter of the chain becomes the Zarr compressor, the others the Zarr filters.
        ("fletcher32", dict(compression="zstd", complevel=1, fletcher32=True), {"id": "fletcher32"}),
    ]
    # netCDF-C 4.10.1 records a uint8 variable's dtype as "<u1", which zarr-python 3 refuses (it wants
    # "|u1"): a netCDF/zarr-python disagreement unrelated to the codecs, so uint8 is left out here.
    arrays = [array for array in ARRAYS if np.dtype(array[0]).itemsize > 1]
    expected = {}
    with netCDF4.Dataset(url(path), "w") as dataset:
        for label, options, _ in settings:
            for number, (dtype, shape, chunks) in enumerate(arrays):
                name = f"{label}_{number}"
                dims = []
                for axis, extent in enumerate(shape):
                    dataset.createDimension(f"{name}_d{axis}", extent)
                    dims.append(f"{name}_d{axis}")
                variable = dataset.createVariable(name, np.dtype(dtype), dims, chunksizes=chunks, **options)
                variable[...] = expected[name] = values(dtype, shape)
    group = zarr.open_group(path, mode="r", zarr_format=2)
    for label, _, codec in settings:
        for number in range(len(arrays)):
            name = f"{label}_{number}"
            array = group[name]
            # The compressor exactly as netCDF wrote it into .zarray (our NCZ_hdf5_to_codec).
            with open(os.path.join(path, name, ".zarray")) as f:
                metadata = json.load(f)
            config, filters = metadata["compressor"], metadata["filters"]
            if config != codec:
                raise SystemExit(f"{path}/{name}: netCDF recorded compressor {config}, expected {codec}")
            if label == "fletcher32" and filters != [{"id": "zstd", "level": 1}]:
                raise SystemExit(f"{path}/{name}: netCDF recorded filters {filters}, expected zstd before fletcher32")
            if label == "zlib_shuffle" and filters != [{"id": "shuffle", "elementsize": metadata_itemsize(metadata)}]:
                raise SystemExit(f"{path}/{name}: netCDF recorded filters {filters}, expected shuffle by the element size")
            got = array[...]
            want = expected[name]
            if got.dtype != want.dtype or got.tobytes() != want.tobytes():
                raise SystemExit(f"zarr-python read {path}/{name} differently from what netCDF wrote")
            if codec["id"] == "blosc":
                # NCZ_modify_parameters gave the filter the element size, so blosc shuffled by it
                # (byte 3 of a blosc1 header is the typesize).
                chunk = next(entry for entry in sorted(os.listdir(os.path.join(path, name))) if not entry.startswith("."))
                with open(os.path.join(path, name, chunk), "rb") as f:
                    typesize = f.read(4)[3]
                if typesize != want.dtype.itemsize:
                    raise SystemExit(f"{path}/{name}: blosc shuffled by {typesize} bytes, not the element size {want.dtype.itemsize}")
    print(f"netCDF wrote {len(expected)} variables through our plugins (zstd, blosc, bzip2, zlib, zlib with shuffle, fletcher32), zarr-python read them: all equal, compressor configs as numcodecs writes them")


def metadata_itemsize(metadata):
    return np.dtype(metadata["dtype"]).itemsize


def corrupt(directory):
    import netCDF4
    import numcodecs
    import zarr
    path = os.path.join(directory, "corrupt.zarr")
    shutil.rmtree(path, ignore_errors=True)
    group = zarr.open_group(path, mode="w", zarr_format=2)
    refused = 0
    for label, compressor in [("zstd", numcodecs.Zstd()), ("blosc", numcodecs.Blosc()), ("bz2", numcodecs.BZ2()),
                              ("zlib", numcodecs.Zlib()), ("gzip", numcodecs.GZip()), ("lz4", numcodecs.LZ4()),
                              ("crc32", numcodecs.CRC32()), ("fletcher32", numcodecs.Fletcher32())]:
        array = group.create_array(label, shape=(1000,), chunks=(1000,), dtype="<f4", compressors=compressor)
        array[...] = values("<f4", (1000,))
        array.attrs["_ARRAY_DIMENSIONS"] = [f"{label}_d0"]
        chunk = os.path.join(path, label, "0")
        with open(chunk, "rb") as f:
            good = f.read()
        # Truncated, and garbage. (Not all 0xff bytes: Fletcher-32 cannot tell 0xffff words from zeros,
        # so such a chunk carries a valid fletcher32 checksum.)
        for bad in (good[: len(good) // 2], bytes((i * 7 + 3) % 256 for i in range(len(good)))):
            with open(chunk, "wb") as f:
                f.write(bad)
            try:
                with netCDF4.Dataset(url(path)) as dataset:
                    dataset[label][...]
            except (RuntimeError, OSError):
                refused += 1
            else:
                raise SystemExit(f"netCDF read a corrupt {label} chunk without an error")
    print(f"netCDF refused {refused} corrupt chunks (zstd, blosc, bz2, zlib, gzip, lz4, crc32, fletcher32) with an error")


def no_plugins(directory):
    import netCDF4
    path = os.path.join(directory, "zarr_writes.zarr")
    with netCDF4.Dataset(url(path)) as dataset:
        for name in dataset.variables:
            try:
                dataset[name][...]
            except (RuntimeError, OSError):
                continue
            raise SystemExit(f"netCDF read {name} without our plugins: the interop checks would prove nothing")
    print("without our plugins, netCDF cannot read the compressed arrays (as it should)")


def plain_twin(directory):
    """zarr_plain.zarr: every array of zarr_writes.zarr, read by zarr-python (numcodecs) and stored
    without compressor or filters, so that ncdump's output of the two stores must be the same."""
    import zarr
    source = zarr.open_group(os.path.join(directory, "zarr_writes.zarr"), mode="r", zarr_format=2)
    path = os.path.join(directory, "zarr_plain.zarr")
    shutil.rmtree(path, ignore_errors=True)
    group = zarr.open_group(path, mode="w", zarr_format=2)
    for name, array in source.arrays():
        copy = group.create_array(name, shape=array.shape, chunks=array.chunks, dtype=array.dtype, compressors=None)
        copy[...] = array[...]
        copy.attrs.update(array.attrs.asdict())
    print(f"zarr-python copied {len(list(source.array_keys()))} arrays into an uncompressed twin store")


def check_nccopy(directory):
    """nccopy -F '*,32015,5' wrote nccopy_zstd.zarr from zarr_plain.zarr: zarr-python reads the same
    values, compressed with numcodecs' zstd level 5."""
    import zarr
    plain = zarr.open_group(os.path.join(directory, "zarr_plain.zarr"), mode="r", zarr_format=2)
    path = os.path.join(directory, "nccopy_zstd.zarr")
    copied = zarr.open_group(path, mode="r", zarr_format=2)
    checked = 0
    for name, array in plain.arrays():
        with open(os.path.join(path, name, ".zarray")) as f:
            metadata = json.load(f)
        if metadata["compressor"] != {"id": "zstd", "level": 5}:
            raise SystemExit(f"{path}/{name}: nccopy recorded compressor {metadata['compressor']}")
        if np.dtype(metadata["dtype"]).itemsize == 1:
            continue  # netCDF-C writes "<u1", which zarr-python 3 refuses (see netcdf_writes)
        if copied[name][...].tobytes() != array[...].tobytes():
            raise SystemExit(f"zarr-python read {path}/{name} differently from the store nccopy copied")
        checked += 1
    print(f"nccopy -F '*,32015,5' compressed {checked} arrays (and the uint8 ones) with our zstd plugin; zarr-python read them: all equal, compressor {{'id': 'zstd', 'level': 5}}")


def main():
    command, directory = sys.argv[1], sys.argv[2]
    if not os.environ.get("HDF5_PLUGIN_PATH"):
        raise SystemExit("set HDF5_PLUGIN_PATH")
    os.makedirs(directory, exist_ok=True)
    {"zarr-writes": zarr_writes, "netcdf-writes": netcdf_writes, "corrupt": corrupt, "no-plugins": no_plugins,
     "plain-twin": plain_twin, "check-nccopy": check_nccopy}[command](directory)


if __name__ == "__main__":
    main()
