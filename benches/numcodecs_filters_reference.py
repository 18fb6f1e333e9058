"""The same table as `cargo bench --bench filters`, measured with Python's numcodecs 0.16.6.

Run in a venv with `pip install 'numcodecs[msgpack,pcodec,crc32c]==0.16.6'`:
    python benches/numcodecs_filters_reference.py
"""
import json
import os
import re
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # numcodecs warns that the crc32c package is deprecated
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numcodecs_reference import N_BYTES, best_time, datasets, h  # noqa: E402  (same data and timing loop)

import numcodecs  # noqa: E402
import numpy as np  # noqa: E402


def configs():
    """The CONFIGS list of benches/filters.rs, so both tables always cover the same configs."""
    source = open(__file__.replace("numcodecs_filters_reference.py", "filters.rs")).read()
    block = source.split("pub const CONFIGS")[1].split("];")[0]
    return re.findall(r'r#"(.*?)"#', block)


def dataset(config):
    """benches/filters.rs' dataset(): 4 MiB of booleans for packbits (h(i) < 64), else
    numcodecs_reference.py's "f4-smooth" dataset."""
    if '"packbits"' in config:
        return h(np.arange(N_BYTES, dtype=np.uint64)) < np.uint64(64)
    return datasets()[0][1]



def lossy(config):
    """filters.rs' lossy(): numcodecs' lossy filters and narrowing casts do not give the input back."""
    return any(m in config for m in ["fixedscaleoffset", "quantize", '<i2"', '<f2"']) and '"delta"' not in config


def main():
    assert numcodecs.__version__ == "0.16.6", numcodecs.__version__
    data = dataset("")
    print(f"numcodecs {numcodecs.__version__}, {N_BYTES >> 20} MiB of float32 (of booleans for packbits)")
    print(f"{'config':<40} {'enc MB/s':>10} {'dec MB/s':>10} {'enc/memcpy':>12} {'dec/memcpy':>12}")
    memcpy = data.nbytes / best_time(lambda: data.copy()) / 1e6
    print(f"{'memcpy':<40} {memcpy:>10.0f}")
    for config in configs():
        data = dataset(config)
        codec = numcodecs.get_codec(json.loads(config))
        enc = codec.encode(data)
        # bitround decodes by copying; the other lossy filters give an approximation.
        if '"bitround"' in config:
            assert bytes(codec.decode(enc)) == bytes(enc)
        elif not lossy(config):
            assert bytes(codec.decode(enc)) == data.tobytes()
        t_enc = data.nbytes / best_time(lambda: codec.encode(data)) / 1e6
        t_dec = data.nbytes / best_time(lambda: codec.decode(enc)) / 1e6
        print(f"{config:<40} {t_enc:>10.0f} {t_dec:>10.0f} {t_enc / memcpy:>12.2f} {t_dec / memcpy:>12.2f}")


if __name__ == "__main__":
    main()
