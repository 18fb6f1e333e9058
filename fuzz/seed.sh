#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from the committed numcodecs fixtures
# (tests/fixtures/manifest.json), in the input layouts fuzz/src/checks.rs documents. Needs python3 only
# (no numcodecs). The corpora are git-ignored; this script recreates them and never deletes what the
# fuzzer added, so it is safe to re-run before every campaign.
#
#   fuzz/seed.sh            (scripts/fuzz.sh runs it)
set -euo pipefail
cd "$(dirname "$0")"
exec python3 - <<'PY'
import hashlib, json, os, re

fixtures = "../tests/fixtures"
manifest = json.load(open(f"{fixtures}/manifest.json"))
configs = [line for line in open("configs.txt").read().splitlines() if line.strip()]
# The dtype list is read from checks.rs so the selector bytes here cannot drift from the target's.
dtypes = json.loads("[" + re.search(r"pub const DTYPES: &\[&str\] = &\[(.*?)\];", open("src/checks.rs").read()).group(1) + "]")
# The largest seed sets libFuzzer's default -max_len; keep seeds small so executions stay fast.
MAX_SEED = 64 << 10
written = {}

def write(target, data):
    directory = f"corpus/{target}"
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()  # libFuzzer's own naming, so re-runs do not duplicate seeds
    path = f"{directory}/{name}"
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    written[target] = written.get(target, 0) + 1

# numcodecs' default checksum location of the codecs that take a "location" key.
DEFAULT_LOCATION = {"crc32": "start", "adler32": "start", "crc32c": "end"}

def same_family(case_config, candidate):
    """Whether a configs.txt entry decodes what case_config encoded (for the decode target's selector)."""
    if is_chain(candidate):
        return False
    a, b = json.loads(case_config), json.loads(candidate)
    if a["id"] != b["id"]:
        return False
    if a["id"] == "lzma":
        if a["format"] == 3:  # raw streams carry no header: only the same filter chain decodes them
            return b["format"] == 3 and a["filters"] == b["filters"]
        return a["format"] == b["format"]
    if a["id"] == "zstd":
        return a["checksum"] == b["checksum"]
    if a["id"] == "blosc":
        return (a["cname"], a["shuffle"]) == (b["cname"], b["shuffle"])
    if a["id"] in DEFAULT_LOCATION:  # the checksum's place decides which bytes are payload
        default = DEFAULT_LOCATION[a["id"]]
        return a.get("location", default) == b.get("location", default)
    return True

def is_chain(config):
    value = json.loads(config)
    return isinstance(value, list) or "id" not in value

def selector(case_config):
    if case_config in configs:
        return configs.index(case_config)
    if is_chain(case_config):
        return None  # a pipeline fixture seeds only the chains configs.txt lists exactly
    for index, candidate in enumerate(configs):
        if same_family(case_config, candidate):
            return index
    raise SystemExit(f"seed.sh: no entry of fuzz/configs.txt decodes {case_config}")

# decode: [selector] + every numcodecs-written fixture (cut to MAX_SEED: a truncated stream is a seed too).
for case in manifest["cases"]:
    encoded = open(f"{fixtures}/{case['encoded']}", "rb").read()
    index = selector(case["config"])
    if index is not None:
        write("decode", bytes([index]) + encoded[:MAX_SEED])

# roundtrip: [selector][dtype][shape] + fixture inputs; every encoder configuration gets a seed, cycling
# through the inputs, and every input gets its own dtype with a 1-D and a 2-D shape.
inputs = manifest["inputs"]
names = sorted(inputs)
encoders = [c for c in configs if '"format":0' not in c]
for index, config in enumerate(encoders):
    name = names[index % len(names)]
    meta = inputs[name]
    data = open(f"{fixtures}/{meta['file']}", "rb").read()[:MAX_SEED // 4]
    dtype = dtypes.index(meta["dtype"]) if meta["dtype"] in dtypes else 0
    for shape in (0, 2 + 3 * 4):
        write("roundtrip", bytes([index, dtype, shape]) + data)

# config: every configuration the fixtures use, as numcodecs printed it and as given to numcodecs, the
# refused ones, and the Zarr v3 forms.
for case in manifest["cases"]:
    write("config", case["config"].encode())
    write("config", json.dumps(case["config_in"], separators=(",", ":")).encode())
for case in manifest["invalid_configs"]:
    write("config", json.dumps(case["config_in"], separators=(",", ":")).encode())
for config in configs:
    if is_chain(config):
        continue  # chains have no Zarr v3 single-codec form
    parsed = json.loads(config)
    name = parsed.pop("id")
    write("config", json.dumps({"name": name, "configuration": parsed}, separators=(",", ":")).encode())
    write("config", json.dumps({"name": f"numcodecs.{name}", "configuration": parsed}, separators=(",", ":")).encode())

# blosc_helpers: [start][nitems][capacity selector] + every blosc fixture, with a few item ranges.
for case in manifest["cases"]:
    if case["codec"] != "blosc":
        continue
    encoded = open(f"{fixtures}/{case['encoded']}", "rb").read()[:MAX_SEED]
    for prefix in ([0, 16, 0], [7, 3, 1], [200, 255, 2]):
        write("blosc_helpers", bytes(prefix) + encoded)

# items: [object config selector][mode] + every object-codec fixture and the streams numcodecs refuses,
# each decoded (mode 0) and also split into items (mode 1).
block = re.search(r"pub const OBJECT_CONFIGS: &\[&str\] = &\[(.*?)\];", open("src/checks.rs").read(), re.S).group(1)
object_configs = re.findall(r'r#"(.*?)"#', block)
objects = json.load(open(f"{fixtures}/object_cases.json"))
def object_kind(config):
    """(is a chain, the id of the codec that makes the items)."""
    config = json.loads(config) if isinstance(config, str) else config
    if isinstance(config, dict) and "id" in config:
        return (False, config["id"])
    first = config[0] if isinstance(config, list) else (config.get("filters") or [config.get("compressor")])[0]
    return (True, first.get("id") or first["name"].removeprefix("numcodecs."))
def object_selector(config):
    same = [i for i, c in enumerate(object_configs) if json.loads(c) == json.loads(config)]
    kind = [i for i, c in enumerate(object_configs) if object_kind(c) == object_kind(config)]
    # A chain of an item codec no chain here starts with: seed its item codec's configuration instead.
    item = [i for i, c in enumerate(object_configs) if object_kind(c) == (False, object_kind(config)[1])]
    found = same or kind or item
    return found[0] if found else None
# (Object codecs the items target does not drive, pickle, seed nothing here.)
for case in objects["cases"]:
    index = object_selector(case["config"])
    if index is None:
        continue
    encoded = open(f"{fixtures}/{case['encoded']}", "rb").read()[:MAX_SEED]
    for mode in (0, 1):
        write("items", bytes([index, mode]) + encoded)
for case in objects["corrupt"]:
    index = object_selector(json.dumps(case["config_in"], separators=(",", ":")))
    if index is not None:
        write("items", bytes([index, 0]) + bytes.fromhex(case["encoded_hex"]))

for target, count in sorted(written.items()):
    print(f"seed.sh: {target}: {count} seeds ({len(os.listdir('corpus/' + target))} files in corpus/{target})")
PY
