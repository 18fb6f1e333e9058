"""The datasets of the HDF5 interop tests: which filter with which cd_values, dtype and chunk shape.

Shared by tests/fixtures/hdf5/generate.py (the committed files, written by h5py + hdf5plugin) and
tests/hdf5/interop.py (the same cases written at test time, by hdf5plugin or through our plugins).

Every file has the layout tests/hdf5/h5check.c reads: /filtered/<name> is stored through the filter,
/expected/<name> holds the same values uncompressed, so a reader compares them exactly.
"""
import numpy as np

# filter id -> (file stem, [(label, cd_values)]). The cd_values are what hdf5plugin writes for its
# classes (Blosc leaves slots 0-3 to set_local). No blosc clevel 0: hdf5-blosc gives blosc only the
# chunk's size as room, so a stored (memcpy) frame never fits and HDF5 keeps such chunks unfiltered.
FILTERS = {
    32001: ("blosc", [
        ("blosclz_shuffle", (0, 0, 0, 0, 9, 1, 0)),
        ("lz4_shuffle", (0, 0, 0, 0, 5, 1, 1)),
        ("lz4hc_bitshuffle", (0, 0, 0, 0, 9, 2, 2)),
        ("zlib_noshuffle", (0, 0, 0, 0, 3, 0, 4)),
        ("zstd_bitshuffle", (0, 0, 0, 0, 7, 2, 5)),
    ]),
    32015: ("zstd", [
        ("level1", (1,)),
        ("level3", (3,)),
        ("level22", (22,)),
        ("level_minus5", ((-5) & 0xFFFFFFFF,)),
    ]),
    32004: ("lz4", [
        ("default_block", (0,)),
        ("block1000", (1000,)),
        ("block64", (64,)),
    ]),
    307: ("bzip2", [
        ("block1", (1,)),
        ("block9", (9,)),
    ]),
}

# (dtype, shape, chunks): partial edge chunks, 1-D to 3-D, both byte orders, 1- to 8-byte elements.
ARRAYS = [
    ("<f4", (30, 40), (16, 16)),
    ("<i2", (1000,), (300,)),
    ("|u1", (12, 20, 30), (6, 20, 15)),
    ("<f8", (24, 24), (24, 24)),
    (">i4", (500,), (128,)),
]


def values(dtype, shape, seed):
    """Deterministic data that every filter shrinks (HDF5 stores a chunk unfiltered when an optional
    filter does not, and blosc gives up on data it cannot compress): a repeating ramp plus a little
    noise."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    ramp = (np.arange(n) // 4) % 50
    if np.dtype(dtype).kind in "iu":
        return (ramp + (rng.integers(0, 16, n) == 0)).astype(dtype).reshape(shape)
    return (ramp + (rng.integers(0, 16, n) == 0) * 0.25).astype(dtype).reshape(shape)


def cases(filter_id):
    """(dataset name, cd_values, dtype, shape, chunks, data) for one filter."""
    _, settings = FILTERS[filter_id]
    for index, (label, cd_values) in enumerate(settings):
        for number, (dtype, shape, chunks) in enumerate(ARRAYS):
            name = f"{label}__{np.dtype(dtype).str.replace('<', 'le_').replace('>', 'be_').replace('|', '')}_{'x'.join(map(str, shape))}"
            yield name, cd_values, dtype, shape, chunks, values(dtype, shape, 1000 * filter_id + 10 * index + number)


def write(path, filter_id, compression):
    """Writes every case of `filter_id` to `path`. `compression(cd_values)` gives h5py's create_dataset
    keyword arguments: hdf5plugin's filter object, or the plain id and options for a dynamically loaded
    plugin. Object times are off, so the same inputs give the same file."""
    import h5py
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        for name, cd_values, dtype, shape, chunks, data in cases(filter_id):
            f.create_dataset(f"filtered/{name}", data=data, chunks=chunks, track_times=False, **compression(cd_values))
            f.create_dataset(f"expected/{name}", data=data, track_times=False)
    check_chunks_filtered(path)


def check_chunks_filtered(path):
    """Fails unless every chunk of every /filtered dataset went through its filter: HDF5 stores a chunk
    unfiltered (and says so in its filter mask) when an optional filter fails, which would leave the
    readers' decoders untested."""
    import h5py
    with h5py.File(path, "r") as f:
        for name, dataset in f["filtered"].items():
            for index in range(dataset.id.get_num_chunks()):
                info = dataset.id.get_chunk_info(index)
                if info.filter_mask != 0:
                    raise SystemExit(f"{path}: /filtered/{name} chunk {index} was stored unfiltered (filter mask {info.filter_mask})")


def compare(path):
    """Reads every /filtered dataset of `path` and compares it with /expected; returns the count."""
    import h5py
    count = 0
    with h5py.File(path, "r") as f:
        for name, dataset in f["filtered"].items():
            got = dataset[...]
            want = f["expected"][name][...]
            if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                raise SystemExit(f"{path}: /filtered/{name} differs from /expected/{name}")
            count += 1
    if count == 0:
        raise SystemExit(f"{path}: no /filtered datasets")
    return count
