"""The same table as `cargo bench --bench compressors`, measured with Python's numcodecs 0.16.6.

Run in a venv with `pip install 'numcodecs[msgpack,pcodec,crc32c]==0.16.6' zfpy==1.0.1`:
    python benches/numcodecs_reference.py [--threads] [CONFIG_SUBSTRING, e.g. zfpy]
Blosc runs single-threaded (numcodecs.blosc.use_threads = False) like libnumcodecs, unless --threads.
"""
import json
import re
import sys
import time

import numcodecs
import numcodecs.blosc
import numpy as np

N_BYTES = 4 << 20
WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do",
         "eiusmod", "tempor", "incididunt", "ut", "labore", "et"]


def configs():
    """The CONFIGS list of benches/compressors.rs, so both tables always cover the same configs."""
    source = open(__file__.replace("numcodecs_reference.py", "compressors.rs")).read()
    block = source.split("pub const CONFIGS")[1].split("];")[0]
    return re.findall(r'r#"(.*?)"#', block)


def h(i):
    return ((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(24)


def datasets():
    i = np.arange(N_BYTES // 4, dtype=np.uint64)
    f4 = (i // np.uint64(64)).astype(np.float32) * np.float32(0.5) + h(i).astype(np.float32) / np.float32(256)
    i4 = (i // np.uint64(7)).astype(np.int32) + (h(i) // np.uint64(16)).astype(np.int32)
    words, length, k = [], 0, 0
    while length < N_BYTES:
        w = WORDS[int(h(np.uint64(k))) % 16]
        words.append(w)
        length += len(w) + 1
        k += 1
    text = np.frombuffer((" ".join(words) + " ").encode()[:N_BYTES], dtype="|u1")
    return [("f4-smooth", f4.astype("<f4")), ("i4-counts", i4.astype("<i4")), ("u1-text", text)]


def best_time(f, min_time=0.3):
    start, best, runs = time.perf_counter(), float("inf"), 0
    while runs < 3 or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
        runs += 1
    return best


def main():
    threads = "--threads" in sys.argv
    # Like `cargo bench --bench compressors -- zfpy`: only the configs containing the first other argument.
    only = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    numcodecs.blosc.use_threads = True if threads else False
    assert numcodecs.__version__ == "0.16.6", numcodecs.__version__
    print(f"numcodecs {numcodecs.__version__} (blosc threads: {threads}), {N_BYTES >> 20} MiB per dataset")
    print(f"{'dataset':<10} {'config':<58} {'ratio':>7} {'enc MB/s':>10} {'dec MB/s':>10}")
    for name, data in datasets():
        t = best_time(lambda: data.copy())
        print(f"{name:<10} {'memcpy':<58} {'':>7} {data.nbytes / t / 1e6:>10.0f}")
        for config in configs():
            if only is not None and only not in config:
                continue
            codec = numcodecs.get_codec(json.loads(config))
            try:
                enc = codec.encode(data)
            except Exception as exc:  # pcodec and zfpy take numeric arrays only
                print(f"{name:<10} {config:<58} {'n/a':>7} ({type(exc).__name__})")
                continue
            t_enc = best_time(lambda: codec.encode(data))
            t_dec = best_time(lambda: codec.decode(enc))
            if not ("tolerance" in config or "rate" in config):  # zfpy's lossy modes
                assert bytes(codec.decode(enc)) == data.tobytes()
            print(f"{name:<10} {config:<58} {data.nbytes / len(enc):>7.2f} "
                  f"{data.nbytes / t_enc / 1e6:>10.0f} {data.nbytes / t_dec / 1e6:>10.0f}")


if __name__ == "__main__":
    main()
