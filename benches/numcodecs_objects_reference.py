"""The same tables as `cargo bench --bench objects`, measured with Python's numcodecs 0.16.6: items per
second of VLenUTF8, VLenBytes, JSON (json2) and MsgPack (msgpack2) encode/decode on the same 1 million
short strings, and elements per second of JSON and MsgPack on the same 1 million float64 values.

Run in a venv with `pip install 'numcodecs[msgpack,pcodec,crc32c]==0.16.6'`:
    python benches/numcodecs_objects_reference.py
"""
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numcodecs_reference import best_time, h  # noqa: E402  (same timing loop and hash)

import numpy as np  # noqa: E402

import numcodecs  # noqa: E402

N_ITEMS = 1_000_000
WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et".split()


def main():
    assert numcodecs.__version__ == "0.16.6", numcodecs.__version__
    hashes = h(np.arange(N_ITEMS, dtype=np.uint64)).tolist()
    strings = [f"{WORDS[hashes[i] % 16]}{i % 1000}" for i in range(N_ITEMS)]
    print(f"numcodecs {numcodecs.__version__}, {N_ITEMS} items of {sum(map(len, strings)) // N_ITEMS} bytes on average")
    print(f"{'codec':<16} {'call':<34} {'M items/s':>14}")
    codecs = [
        (numcodecs.VLenUTF8(), strings),
        (numcodecs.VLenBytes(), [s.encode() for s in strings]),
        (numcodecs.JSON(), strings),
        (numcodecs.MsgPack(), strings),
    ]
    for codec, items in codecs:
        array = np.empty(N_ITEMS, dtype=object)
        array[:] = items
        encoded = codec.encode(array)
        assert list(codec.decode(encoded)) == items
        for call, run in [("encode", lambda: codec.encode(array)), ("decode", lambda: codec.decode(encoded))]:
            print(f"{codec.codec_id:<16} {call:<34} {N_ITEMS / best_time(run) / 1e6:>14.1f}")

    # The float64 array of benches/objects.rs: sin(i / 1000) * 100 + h(i) / 7.
    i = np.arange(N_ITEMS, dtype=np.uint64)
    values = np.sin(i.astype(np.float64) / 1000.0) * 100.0 + h(i).astype(np.float64) / 7.0
    print(f"\n{N_ITEMS} float64 elements")
    print(f"{'codec':<16} {'call':<34} {'M elements/s':>14}")
    for codec in [numcodecs.JSON(), numcodecs.MsgPack()]:
        encoded = codec.encode(values)
        assert np.array_equal(codec.decode(encoded), values)
        for call, run in [("encode", lambda: codec.encode(values)), ("decode", lambda: codec.decode(encoded))]:
            print(f"{codec.codec_id:<16} {call:<34} {N_ITEMS / best_time(run) / 1e6:>14.1f}")


if __name__ == "__main__":
    main()
