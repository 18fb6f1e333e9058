"""The h5py side of the HDF5 interop tests (tests/hdf5/run.sh runs it in a venv with h5py + hdf5plugin).

    interop.py write-hdf5plugin DIR      hdf5plugin writes every case (tests/hdf5/cases.py) to DIR
    interop.py write-ours DIR            h5py writes every case through our plugins (HDF5_PLUGIN_PATH)
    interop.py read-ours FILE...         h5py reads FILEs with only our plugins (hdf5plugin not imported)
    interop.py read-hdf5plugin FILE...   h5py + hdf5plugin read FILEs (our plugins off the path)

Reads compare /filtered/<name> with /expected/<name> exactly.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

OURS = ("write-ours", "read-ours")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command in OURS:
        if not os.environ.get("HDF5_PLUGIN_PATH"):
            raise SystemExit(f"{command}: set HDF5_PLUGIN_PATH to our plugin directory")
    else:
        # HDF5 reads HDF5_PLUGIN_PATH once, when h5py loads it: drop it before importing h5py so only
        # hdf5plugin's filters are there.
        os.environ.pop("HDF5_PLUGIN_PATH", None)
        import hdf5plugin  # noqa: F401  (registers its filters)
    import h5py
    import cases

    if command in ("write-hdf5plugin", "write-ours"):
        directory = args[0]
        os.makedirs(directory, exist_ok=True)
        prefix = "hdf5plugin" if command == "write-hdf5plugin" else "ours_h5py"
        for filter_id, (stem, _) in cases.FILTERS.items():
            path = os.path.join(directory, f"{prefix}_{stem}.h5")
            cases.write(path, filter_id, lambda cd_values, filter_id=filter_id: {
                "compression": filter_id, "compression_opts": cd_values})
            if command == "write-ours":
                check_writer(h5py, path, filter_id)
            print(f"{command}: {path}")
    elif command in ("read-ours", "read-hdf5plugin"):
        if command == "read-ours" and "hdf5plugin" in sys.modules:
            raise SystemExit("read-ours must not load hdf5plugin")
        for path in args:
            print(f"{command}: {path}: {cases.compare(path)} datasets equal their expected values")
    else:
        raise SystemExit(f"unknown command {command}")


def check_writer(h5py, path, filter_id):
    """The filter name HDF5 stores with each dataset is the writing plugin's: prove it was ours (and,
    for blosc, that our set_local filled cd_values 0-3 as hdf5-blosc does)."""
    with h5py.File(path, "r") as f:
        for name, dataset in f["filtered"].items():
            code, _, values, filter_name = dataset.id.get_create_plist().get_filter(0)
            if code != filter_id or b"libnumcodecs" not in filter_name:
                raise SystemExit(f"{path}: /filtered/{name} was written by {filter_name!r}, not our plugin")
            if filter_id == 32001:
                itemsize = dataset.dtype.itemsize
                chunk_bytes = itemsize
                for extent in dataset.chunks:
                    chunk_bytes *= extent
                if tuple(values[:4]) != (2, 2, itemsize, chunk_bytes):
                    raise SystemExit(f"{path}: /filtered/{name}: set_local wrote cd_values {values}")


if __name__ == "__main__":
    main()
